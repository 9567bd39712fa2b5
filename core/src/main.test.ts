import { describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { embeddingDims } from "@tcc/db";
import { sql } from "drizzle-orm";
import { Client, createEmbedded } from "../test/harness";
import { type CoreProcess, startCore } from "../test/process";
import { createApp } from "./app";
import { closeServices } from "./bootstrap";

// The embedded default: no DATABASE_URL, no REDIS_URL. PGlite can take seconds to start.
const SLOW = 120_000;

const embedded = (dataDir: string) => createEmbedded(dataDir);

describe("embedded default (PGlite, in-memory cache)", () => {
  test(
    "data and signing keys survive a clean close and reopen of the same data directory",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "tcc-embedded-"));
      const first = await embedded(dir);
      expect(first.services.db.driver).toBe("pglite");
      expect(first.services.kv.kind).toBe("memory");
      const reg = await first.client.post("/v1/auth/register", { email: "solo@example.test", password: "embedded password" });
      expect(reg.status).toBe(201);
      const me = first.client.withToken(reg.body.accessToken);
      const made = await me.post("/v1/entries", { title: "Serviced the bike", content: "new chain", tags: ["bike"] });
      expect(made.status).toBe(201);
      expect((await me.get("/v1/search?q=servicing")).body.items[0].entry.id).toBe(made.body.id);
      await closeServices(first.services);

      const second = await embedded(dir);
      try {
        // Same key on disk, so the token issued before the restart still verifies.
        const again = second.client.withToken(reg.body.accessToken);
        const got = await again.get(`/v1/entries/${made.body.id}`);
        expect(got.status).toBe(200);
        expect(got.body).toMatchObject({ title: "Serviced the bike", tags: ["bike"] });
        expect((await second.client.post("/v1/auth/login", { email: "solo@example.test", password: "embedded password" })).status).toBe(
          200,
        );
      } finally {
        await closeServices(second.services);
      }
    },
    SLOW,
  );

  test(
    "`npm start`'s process prints its URL, serves, and exits cleanly on SIGTERM; a restart reuses ./data",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "tcc-main-"));
      const started: CoreProcess[] = [];
      try {
        const a = await startCore({ DATA_DIR: dir });
        started.push(a);
        const register = await fetch(`${a.url}/v1/auth/register`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ email: "proc@example.test", password: "embedded password" }),
        });
        expect(register.status).toBe(201);
        expect(await a.stop()).toBe(0);

        const b = await startCore({ DATA_DIR: dir });
        started.push(b);
        const login = await fetch(`${b.url}/v1/auth/login`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ email: "proc@example.test", password: "embedded password" }),
        });
        expect(login.status).toBe(200);
        expect(await b.stop()).toBe(0);
      } finally {
        for (const { proc } of started) proc.kill("SIGKILL"); // a failed assertion must not leave a server behind
      }
    },
    SLOW,
  );

  test(
    "a request in flight when SIGTERM arrives is finished before the process exits",
    async () => {
      const core = await startCore({ DATA_DIR: mkdtempSync(join(tmpdir(), "tcc-drain-")) });
      try {
        // The body arrives in two parts, the signal between them: the request is in flight when
        // it lands. The signal waits for fetch to have written the first part (its second pull)
        // rather than for a fixed time, which a loaded machine can outrun.
        const encoder = new TextEncoder();
        const signalled = Promise.withResolvers<void>();
        const firstPartWritten = Promise.withResolvers<void>();
        let pulls = 0;
        const body = new ReadableStream<Uint8Array>({
          async pull(controller) {
            pulls += 1;
            if (pulls === 1) return controller.enqueue(encoder.encode('{"email":"drain@example.test",'));
            firstPartWritten.resolve();
            await signalled.promise;
            await Bun.sleep(400);
            controller.enqueue(encoder.encode('"password":"embedded password"}'));
            controller.close();
          },
        });
        const pending = fetch(`${core.url}/v1/auth/register`, { method: "POST", headers: { "content-type": "application/json" }, body });
        await firstPartWritten.promise;
        await Bun.sleep(1_000); // the headers reach the server and its handler starts reading, even on a loaded machine
        core.proc.kill("SIGTERM");
        signalled.resolve();
        const res = await pending;
        expect(res.status).toBe(201);
        expect(((await res.json()) as { user: { email: string } }).user.email).toBe("drain@example.test");
        expect(await core.proc.exited).toBe(0);
        // And it no longer accepts connections.
        await expect(fetch(`${core.url}/healthz`)).rejects.toThrow();
      } finally {
        core.proc.kill("SIGKILL");
      }
    },
    SLOW,
  );

  test(
    "EMBEDDING_DIMS sizes the empty vector column, and stored vectors of another size stop start-up",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "tcc-dims-"));
      const open = async (dims: string) => (await createEmbedded(dir, { EMBEDDING_DIMS: dims })).services;
      const first = await open("384");
      expect(await embeddingDims(first.db)).toBe(384);
      const app = new Client(createApp(first));
      const reg = await app.post("/v1/auth/register", { email: "dims@example.test", password: "embedded password" });
      const entry = await app.withToken(reg.body.accessToken).post("/v1/entries", { title: "vector me" });
      const vector = `[${Array.from({ length: 384 }, () => "0.1").join(",")}]`;
      await first.db.primary.execute(
        sql`insert into document_embeddings (id, user_id, entry_id, chunk_index, chunk_text, model, embedding)
            values (${Bun.randomUUIDv7()}, ${reg.body.user.id}, ${entry.body.id}, 0, 'vector me', 'test', ${vector}::vector)`,
      );
      await closeServices(first);
      await expect(open("768")).rejects.toThrow(/holds 384-dimension vectors but EMBEDDING_DIMS is 768/);
      const again = await open("384"); // the stored size still opens
      await closeServices(again);
    },
    SLOW,
  );
});
