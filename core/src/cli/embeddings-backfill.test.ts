import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startAiStack } from "../../test/ai-stack";
import { statusOf, storedChunks, waitEmbedded } from "../../test/embeddings";
import { createHarness, type Harness, serviceEnv } from "../../test/harness";

// This process only queues (JOB_WORKERS=off): the backfill CLI's own workers do the embedding,
// with the model it is configured for.
const ai = await startAiStack({ models: ["model-b", "model-c", "m"] });
let h: Harness;
beforeAll(async () => {
  h = await createHarness({ ...ai.coreEnv, JOB_WORKERS: "off" });
});
afterAll(async () => {
  await h.close();
  await ai.stop();
});

async function backfill(args: string[], model: string) {
  const proc = Bun.spawn([process.execPath, join(import.meta.dir, "embeddings-backfill.ts"), ...args], {
    env: {
      PATH: process.env.PATH ?? "",
      ...serviceEnv(),
      ...ai.coreEnv,
      AI_EMBEDDING_MODEL: model,
      DATA_DIR: mkdtempSync(join(tmpdir(), "tcc-backfill-")),
      LOG_LEVEL: "silent",
    },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { out, err, code };
}

describe("npm run embeddings:backfill", () => {
  test("re-embeds entries whose vectors are missing or of another model, then --all re-embeds everything", async () => {
    const u = await h.user();
    const entries = [];
    for (const title of ["one", "two", "three"])
      entries.push((await u.post("/v1/entries", { title, content: `entry ${title} text` })).body);

    const first = await backfill(["--model-changed-only", `--user=${u.info.id}`], "model-b");
    expect(first.err).toBe("");
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/queued \d+ entries for embedding with model-b/);
    expect(first.out).toContain("done");
    for (const e of entries) {
      await waitEmbedded(h.services, e, "model-b", 1_000);
      expect((await storedChunks(h.services, e.id)).map((c) => c.model)).toEqual(["model-b"]);
    }

    // Changing the model makes them all stale again; the backfill moves every one over.
    const second = await backfill([`--user=${u.info.id}`], "model-c");
    expect(second.code).toBe(0);
    expect(second.out).toContain("queued 3 entries for embedding with model-c");
    for (const e of entries) expect((await statusOf(h.services, e.id))?.model).toBe("model-c");

    // Nothing stale: the default queues nothing; --all re-embeds all three anyway.
    expect((await backfill([`--user=${u.info.id}`], "model-c")).out).toContain("queued 0 entries");
    const before = await Promise.all(entries.map((e) => statusOf(h.services, e.id)));
    const all = await backfill(["--all", `--user=${u.info.id}`], "model-c");
    expect(all.code).toBe(0);
    expect(all.out).toContain("queued 3 entries");
    expect(all.out).toContain("3/3 embedded");
    const after = await Promise.all(entries.map((e) => statusOf(h.services, e.id)));
    after.forEach((st, i) => {
      expect(st?.embeddedAt).not.toBe(before[i]?.embeddedAt);
    });
  }, 60_000);

  test("refuses contradictory or malformed arguments", async () => {
    expect((await backfill(["--all", "--model-changed-only"], "m")).code).toBe(2);
    expect((await backfill(["--user=nope"], "m")).code).toBe(2);
    expect((await backfill(["--bogus"], "m")).code).not.toBe(0);
  });
});
