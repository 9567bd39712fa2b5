import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startAiStack } from "../../test/ai-stack";
import { createEmbedded } from "../../test/harness";
import { closeServices } from "../bootstrap";
import { startEmbeddingSweep } from "./embedding-sweep";
import { EMBEDDINGS_QUEUE } from "./embeddings";

// The embedded default (PGlite, in-process queue) with the fake node standing in for the model.
const ai = await startAiStack({ dims: 384 });
const fake = ai.fake;
afterAll(() => ai.stop());
const SLOW = 120_000;

const embedded = (dir: string) => createEmbedded(dir, { ...ai.coreEnv, EMBEDDING_DIMS: "384" });

describe("semantic search on the embedded default", () => {
  test(
    "entries are embedded by the in-process queue and found by meaning; after a restart the sweep re-queues lost jobs",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "tcc-embedded-semantic-"));
      const first = await embedded(dir);
      let entryId = "";
      let token = "";
      try {
        expect(first.services.db.driver).toBe("pglite");
        expect(first.services.jobs.kind).toBe("memory");
        const reg = await first.client.post("/v1/auth/register", { email: "solo@example.test", password: "embedded password" });
        token = reg.body.accessToken;
        const me = first.client.withToken(token);
        const made = await me.post("/v1/entries", { title: "Morning", content: "Went running along the river." });
        entryId = made.body.id;
        await me.post("/v1/entries", { title: "Groceries", content: "Milk and bread." });
        await first.services.jobs.drain(EMBEDDINGS_QUEUE, 20_000);
        for (const mode of ["semantic", "hybrid"]) {
          const res = await me.get(`/v1/search?q=runner&mode=${mode}`);
          expect(res.status).toBe(200);
          expect(res.body.mode).toBe(mode);
          expect(res.body.items[0].entry.id).toBe(entryId);
        }
        // An edit whose job is lost with the process: its first try fails, and the retry is
        // still waiting out its backoff in memory when the process stops.
        fake.configure({ failRate: 1 });
        await me.patch(`/v1/entries/${entryId}`, { content: "Went for a swim in the lake." });
        for (let i = 0; i < 200 && (await first.services.jobs.counts(EMBEDDINGS_QUEUE)).delayed === 0; i++) await Bun.sleep(10);
        expect((await first.services.jobs.counts(EMBEDDINGS_QUEUE)).delayed).toBe(1);
      } finally {
        await closeServices(first.services);
        fake.configure({ failRate: 0 });
      }

      const second = await embedded(dir);
      try {
        const me = second.client.withToken(token);
        expect(await startEmbeddingSweep({ ctx: { s: second.services } })).toBe(1);
        await second.services.jobs.drain(EMBEDDINGS_QUEUE, 20_000);
        const res = await me.get("/v1/search?q=swimming&mode=semantic");
        expect(res.body.items[0].entry.id).toBe(entryId);
        expect(res.body.items[0].highlights.snippet).toBe("Went for a swim in the lake.");
      } finally {
        await closeServices(second.services);
      }
    },
    SLOW,
  );
});
