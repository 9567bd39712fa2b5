import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { type Drizzle, schema } from "@tcc/db";
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { embedText } from "../../../ai-gateway/src/builtin/embedder";
import { startAiStack } from "../../test/ai-stack";
import { statusOf, storedChunks, waitEmbedded } from "../../test/embeddings";
import { createHarness, type Harness } from "../../test/harness";
import { CHUNK_CHARS, chunkEntry } from "./chunks";
import { staleEntries, startEmbeddingSweep } from "./embedding-sweep";
import { coalesceEmbeddingJobs, embedEntry, runEmbeddingJob } from "./embeddings";

const ai = await startAiStack();
const fake = ai.fake;
let h: Harness;
beforeAll(async () => {
  h = await createHarness({ ...ai.coreEnv });
});
afterAll(async () => {
  await h.close();
  await ai.stop();
});
beforeEach(() => ai.reset());

/** This user's embedding calls: the workers also run other test files' jobs left in the shared queue. */
const embeddingCalls = (userId: string) => fake.requests().filter((r) => r.path === "/v1/embeddings" && r.body.user === userId);
const parseVector = (s: string) => s.slice(1, -1).split(",").map(Number);

describe("embedding pipeline", () => {
  test("vectors appear after create, follow an edit, leave with the trash, return on restore, and go with purge", async () => {
    const u = await h.user();
    const batchBefore = await ai.scheduled("batch");
    const made = await u.post("/v1/entries", { title: "Bike day", content: "Serviced the bike chain and the brakes." });
    expect(made.status).toBe(201);
    await waitEmbedded(h.services, made.body);
    const first = await storedChunks(h.services, made.body.id);
    expect(first).toHaveLength(1);
    expect(first[0]?.chunkText).toBe("Serviced the bike chain and the brakes.");
    expect(first[0]?.model).toBe(h.services.ai.embeddingModel);
    // What the model embedded: the title, then the chunk, at batch priority for this user.
    const call = embeddingCalls(u.info.id).at(-1);
    expect(call?.body.input).toEqual(["Bike day\n\nServiced the bike chain and the brakes."]);
    // Sent as batch work: the gateway scheduled it at that priority.
    expect(await ai.scheduled("batch")).toBeGreaterThan(batchBefore);
    expect(call?.body.user).toBe(u.info.id);
    const expected = embedText("Bike day\n\nServiced the bike chain and the brakes.", 768);
    parseVector(first[0]?.embedding as string).forEach((x, i) => {
      expect(x).toBeCloseTo(expected[i] as number, 5);
    });

    const edited = await u.patch(`/v1/entries/${made.body.id}`, { content: "Planted tomatoes in the garden." });
    await waitEmbedded(h.services, edited.body);
    const second = await storedChunks(h.services, made.body.id);
    expect(second.map((c) => c.chunkText)).toEqual(["Planted tomatoes in the garden."]);
    expect(second[0]?.embedding).not.toBe(first[0]?.embedding);

    expect((await u.del(`/v1/entries/${made.body.id}`)).status).toBe(204);
    expect(await storedChunks(h.services, made.body.id)).toHaveLength(0);
    expect(await statusOf(h.services, made.body.id)).toBeUndefined();

    const restored = await u.post(`/v1/entries/${made.body.id}/restore`);
    expect(restored.status).toBe(200);
    await waitEmbedded(h.services, restored.body);
    expect((await storedChunks(h.services, made.body.id)).map((c) => c.chunkText)).toEqual(["Planted tomatoes in the garden."]);

    expect((await u.del(`/v1/entries/${made.body.id}?purge=true`)).status).toBe(204);
    expect(await storedChunks(h.services, made.body.id)).toHaveLength(0);
    expect(await statusOf(h.services, made.body.id)).toBeUndefined();
  });

  test("a burst of one user's creates is queued as fewer jobs, and every entry gets its vectors", async () => {
    const u = await h.user();
    const made = await Promise.all(
      Array.from({ length: 20 }, (_, i) => u.post("/v1/entries", { title: `Burst ${i}`, content: `Note ${i} about the ferry.` })),
    );
    for (const m of made) expect(m.status).toBe(201);
    for (const m of made) await waitEmbedded(h.services, m.body);
    for (const m of made) expect((await storedChunks(h.services, m.body.id)).map((c) => c.chunkText)).toEqual([m.body.content]);
  });

  test("coalescing: one user's plain jobs of a tick become batches of at most 16; forced, delayed and lone jobs stay", () => {
    const plain = (userId: string, n: number) => ({ data: { userId, entryId: `e${n}` }, opts: { jobId: `e${n}_v` } });
    const forced = { data: { userId: "a", entryId: "f", force: true }, opts: { jobId: "f_v" } };
    const delayed = { data: { userId: "a", entryId: "d" }, opts: { delayMs: 1000 } };
    const jobs = [...Array.from({ length: 18 }, (_, i) => plain("a", i)), plain("b", 99), forced, delayed, plain("a", 3)];
    const out = coalesceEmbeddingJobs(jobs);
    expect(out).toContainEqual(forced);
    expect(out).toContainEqual(delayed);
    expect(out).toContainEqual(plain("b", 99));
    const batches = out.filter((j) => "entryIds" in (j.data as object)).map((j) => j.data as { userId: string; entryIds: string[] });
    // 18 distinct entries of user a (e3 twice): batches of 16 and 2, no job id, nothing lost or repeated.
    expect(batches.map((b) => [b.userId, b.entryIds.length])).toEqual([
      ["a", 16],
      ["a", 2],
    ]);
    expect(batches.flatMap((b) => b.entryIds).sort()).toEqual(Array.from({ length: 18 }, (_, i) => `e${i}`).sort());
    expect(out).toHaveLength(5);
  });

  test("a batch job: one read, one model call and one write for all its entries, each handled as it stands, other users' entries untouched", async () => {
    const [a, b] = [await h.user(), await h.user()];
    const post = async (u: typeof a, title: string, content: string) => {
      const res = await u.post("/v1/entries", { title, content });
      expect(res.status).toBe(201);
      await waitEmbedded(h.services, res.body);
      return res.body as { id: string; title: string; content: string };
    };
    const same = await post(a, "Same", "unchanged words about herons");
    const edited = await post(a, "Edited", "old words about otters");
    const trashed = await post(a, "Trashed", "words about voles");
    const long = await post(a, "Long", "short at first");
    const others = await post(b, "Theirs", "user b writes about badgers");
    // Changed behind the app's back, so no job of their own is queued: only the batch below writes.
    const longText = Array.from({ length: 40 }, (_, i) => `Sentence ${i} is about beavers building dams.`).join(" ");
    await h.services.db.primary.execute(
      sql`update entries set content = 'new words about otters', updated_at = now() where id = ${edited.id}`,
    );
    await h.services.db.primary.execute(sql`update entries set content = ${longText}, updated_at = now() where id = ${long.id}`);
    await h.services.db.primary.execute(sql`update entries set deleted_at = now() where id = ${trashed.id}`);
    const sameStatus = await statusOf(h.services, same.id);
    const othersChunks = await storedChunks(h.services, others.id);
    const othersStatus = await statusOf(h.services, others.id);
    const calls = embeddingCalls(a.info.id).length;
    // The job on a client of its own that records what it sends.
    const sent: string[] = [];
    const observed = postgres(process.env.DATABASE_URL as string, { max: 1, onnotice: () => {}, debug: (_c, query) => sent.push(query) });
    const s = { ...h.services, db: { ...h.services.db, primary: drizzle({ client: observed, schema }) as unknown as Drizzle } };

    const entryIds = [same.id, edited.id, trashed.id, long.id, others.id, Bun.randomUUIDv7()];
    await runEmbeddingJob({ ctx: { s }, input: { userId: a.info.id, entryIds } }).finally(() => observed.end());

    // The edited and the long entry's chunks (together under 32 texts) went in one model call.
    const longChunks = chunkEntry("Long", longText);
    expect(longChunks.length).toBeGreaterThan(1);
    const made = embeddingCalls(a.info.id).slice(calls);
    expect(made).toHaveLength(1);
    expect(made[0]?.body.input as string[]).toHaveLength(1 + longChunks.length);
    // One read, one write, and one delete each for the trashed entry, b's entry and the id of no entry: not a's, so gone for a.
    const ours = sent.filter((q) => /entries|embedding/.test(q));
    expect(ours.filter((q) => /^select/i.test(q.trim()))).toHaveLength(1);
    expect(ours.filter((q) => /insert into document_embeddings/.test(q))).toHaveLength(1);
    expect(ours.filter((q) => /^with gone as \(delete/.test(q.trim()))).toHaveLength(3);
    expect(ours).toHaveLength(5);
    expect((await storedChunks(h.services, edited.id)).map((c) => c.chunkText)).toEqual(["new words about otters"]);
    expect((await storedChunks(h.services, long.id)).map((c) => c.chunkText)).toEqual(longChunks);
    expect((await statusOf(h.services, long.id))?.chunks).toBe(longChunks.length);
    expect(await storedChunks(h.services, trashed.id)).toEqual([]);
    expect(await statusOf(h.services, trashed.id)).toBeUndefined();
    expect(await statusOf(h.services, same.id)).toEqual(sameStatus);
    expect(await storedChunks(h.services, others.id)).toEqual(othersChunks);
    expect(await statusOf(h.services, others.id)).toEqual(othersStatus);
  });

  test("while an API process is busy, another process's embedding job waits its turn, at most JOBS_YIELD_MAX_MS, then runs while the burst goes on", async () => {
    // Two processes sharing job queues and Redis: an API-only one taking the requests, and one
    // running the jobs that serves none.
    const queues = {
      ...ai.coreEnv,
      JOB_QUEUE_PREFIX: `tcc:test-jobs:yield:${process.pid}`,
      JOBS_YIELD_ABOVE_RPS: "20",
      JOBS_YIELD_MAX_MS: "1000",
    };
    const api = await createHarness({ ...queues, JOB_WORKERS: "off" });
    const worker = await createHarness(queues);
    try {
      const u = await api.user();
      let loading = true;
      // Well above 20 requests per second, until the entry has its vectors.
      const load = (async () => {
        while (loading) {
          await Promise.all(Array.from({ length: 10 }, () => u.get("/v1/entries?limit=1")));
          await Bun.sleep(20);
        }
      })();
      await Bun.sleep(300);
      const made = await u.post("/v1/entries", { title: "Busy", content: "written during a burst of reads" });
      expect(made.status).toBe(201);
      const posted = performance.now();
      await waitEmbedded(worker.services, made.body, undefined, 10_000);
      const tookMs = performance.now() - posted;
      loading = false;
      await load;
      expect(tookMs).toBeGreaterThanOrEqual(950);
    } finally {
      await api.close();
      await worker.close();
    }
  });

  test("editing only tags keeps the vectors and does not call the model again", async () => {
    const u = await h.user();
    const made = await u.post("/v1/entries", { title: "Tagged", content: "Some words about kayaks." });
    await waitEmbedded(h.services, made.body);
    const before = await storedChunks(h.services, made.body.id);
    const calls = embeddingCalls(u.info.id).length;
    expect((await u.patch(`/v1/entries/${made.body.id}`, { tags: ["water"] })).status).toBe(200);
    // Same text, so the job (if any) ends without a model call.
    await embedEntry({ ctx: { s: h.services }, input: { userId: u.info.id, entryId: made.body.id } });
    expect(embeddingCalls(u.info.id).length).toBe(calls);
    expect(await storedChunks(h.services, made.body.id)).toEqual(before);
  });

  test("a long entry is cut into overlapping chunks, each embedded", async () => {
    const sentences = Array.from({ length: 60 }, (_, i) => `Sentence number ${i} talks about topic ${i % 7} at some length.`);
    const content = `${sentences.slice(0, 30).join(" ")}\n\n${sentences.slice(30).join(" ")}`;
    const chunks = chunkEntry("Long", content);
    expect(chunks.length).toBeGreaterThanOrEqual(4);
    for (const c of chunks) expect(c.length).toBeLessThanOrEqual(CHUNK_CHARS);
    // Neighbours share text, and every sentence is in some chunk.
    for (let i = 1; i < chunks.length; i++) {
      const tail = (chunks[i - 1] as string).split(/(?<=\.)\s+/).at(-1) as string;
      expect(chunks[i]).toContain(tail);
    }
    for (const s of sentences) expect(chunks.some((c) => c.includes(s))).toBe(true);
    expect(chunkEntry("Only a title", "")).toEqual(["Only a title"]);
    expect(chunkEntry("Short", "one line")).toEqual(["one line"]);

    const u = await h.user();
    const made = await u.post("/v1/entries", { title: "Long", content });
    const status = await waitEmbedded(h.services, made.body);
    expect(status.chunks).toBe(chunks.length);
    expect((await storedChunks(h.services, made.body.id)).map((c) => c.chunkText)).toEqual(chunks);
  });

  test("an edit while the model works wins: the stale vectors never land", async () => {
    const u = await h.user();
    const made = await u.post("/v1/entries", { title: "Draft", content: "first version about apples" });
    await waitEmbedded(h.services, made.body);
    // Make the model slow, start a job for the current text, and edit while it waits.
    await h.services.db.primary.execute(
      sql`update entries set content = 'second version about pears', updated_at = now() where id = ${made.body.id}`,
    );
    fake.configure({ latencyMs: 300 });
    const job = embedEntry({ ctx: { s: h.services }, input: { userId: u.info.id, entryId: made.body.id } });
    await Bun.sleep(100);
    const edited = await u.patch(`/v1/entries/${made.body.id}`, { content: "third version about plums" });
    expect(await job).not.toBe("gone");
    fake.configure({ latencyMs: 0 });
    await waitEmbedded(h.services, edited.body);
    expect((await storedChunks(h.services, made.body.id)).map((c) => c.chunkText)).toEqual(["third version about plums"]);
  });

  test("a text that keeps changing while the model works: no stale vectors are written, and the job fails for a retry", async () => {
    const u = await h.user();
    const made = await u.post("/v1/entries", { title: "Churn", content: "version zero about figs" });
    await waitEmbedded(h.services, made.body);
    const before = await statusOf(h.services, made.body.id);
    // Edits behind the app's back queue no job of their own: only this job could write vectors.
    const edit = (n: number) =>
      h.services.db.primary.execute(
        sql`update entries set content = ${`version ${n} about figs`}, updated_at = now() where id = ${made.body.id}`,
      );
    await edit(1);
    fake.configure({ latencyMs: 150 });
    let settled = false;
    // Caught at once: the rejection must not go unhandled while the loop below is awaiting an edit.
    const outcome = embedEntry({ ctx: { s: h.services }, input: { userId: u.info.id, entryId: made.body.id } }).then(
      (done) => done,
      (err: Error) => err,
    );
    void outcome.finally(() => {
      settled = true;
    });
    for (let n = 2; !settled; n++) {
      await Bun.sleep(40);
      if (!settled) await edit(n);
    }
    fake.configure({ latencyMs: 0 });
    expect(String(await outcome)).toMatch(/kept changing/);
    expect(embeddingCalls(u.info.id).length).toBeGreaterThanOrEqual(3);
    expect((await storedChunks(h.services, made.body.id)).map((c) => c.chunkText)).toEqual(["version zero about figs"]);
    expect(await statusOf(h.services, made.body.id)).toEqual(before);
  });

  test("an entry trashed while the model works gets no vectors, and loses its old ones", async () => {
    const u = await h.user();
    const made = await u.post("/v1/entries", { title: "Doomed", content: "first text about quinces" });
    await waitEmbedded(h.services, made.body);
    await h.services.db.primary.execute(sql`update entries set content = 'second text about quinces' where id = ${made.body.id}`);
    fake.configure({ latencyMs: 300 });
    const job = embedEntry({ ctx: { s: h.services }, input: { userId: u.info.id, entryId: made.body.id } });
    await Bun.sleep(100);
    await h.services.db.primary.execute(sql`update entries set deleted_at = now() where id = ${made.body.id}`);
    expect(await job).toBe("gone");
    fake.configure({ latencyMs: 0 });
    expect(await storedChunks(h.services, made.body.id)).toEqual([]);
    expect(await statusOf(h.services, made.body.id)).toBeUndefined();
  });

  test("an edit from a long text to a short one leaves only the short text's chunks", async () => {
    const u = await h.user();
    const content = Array.from({ length: 400 }, (_, i) => `Sentence ${i} talks about walking the dog.`).join(" ");
    const made = await u.post("/v1/entries", { title: "Shrinks", content });
    const long = await waitEmbedded(h.services, made.body);
    expect(long.chunks).toBeGreaterThan(1);
    const edited = await u.patch(`/v1/entries/${made.body.id}`, { content: "just one line now" });
    await waitEmbedded(h.services, edited.body);
    expect((await storedChunks(h.services, made.body.id)).map((c) => [c.chunkIndex, c.chunkText])).toEqual([[0, "just one line now"]]);
  });

  test("a failing gateway is retried with backoff, counted in metrics, and the entry embedded once it recovers", async () => {
    const u = await h.user();
    fake.configure({ failRate: 1, failStatus: 503 });
    const made = await u.post("/v1/entries", { title: "Retry me", content: "the gateway is down for a moment" });
    expect(made.status).toBe(201); // the write never waits on the model
    const deadline = Date.now() + 10_000;
    let metrics = "";
    while (!/tcc_jobs_total\{queue="embeddings",outcome="retried"\} [1-9]/.test(metrics) && Date.now() < deadline) {
      await Bun.sleep(50);
      metrics = String((await h.anon.get("/metrics")).body);
    }
    expect(metrics).toMatch(/tcc_jobs_total\{queue="embeddings",outcome="retried"\} [1-9]/);
    expect(await statusOf(h.services, made.body.id)).toBeUndefined();
    fake.configure({ failRate: 0 });
    await waitEmbedded(h.services, made.body, undefined, 20_000);
  }, 30_000);

  test("the start-up sweep queues an entry whose vectors were lost", async () => {
    const u = await h.user();
    const made = await u.post("/v1/entries", { title: "Lost", content: "queued in memory, then the process restarted" });
    await waitEmbedded(h.services, made.body);
    await h.services.db.primary.execute(sql`delete from embedding_status where entry_id = ${made.body.id}`);
    await h.services.db.primary.execute(sql`delete from document_embeddings where entry_id = ${made.body.id}`);
    const stale = await staleEntries({ ctx: { s: h.services }, input: { limit: 10, userId: u.info.id } });
    expect(stale).toEqual([{ id: made.body.id, userId: u.info.id }]);
    // Newest first: the entry just written is in the first batch.
    expect(await startEmbeddingSweep({ ctx: { s: h.services }, input: { max: 5 } })).toBeGreaterThanOrEqual(1);
    await waitEmbedded(h.services, made.body);
    expect(await storedChunks(h.services, made.body.id)).toHaveLength(1);
    expect(await staleEntries({ ctx: { s: h.services }, input: { limit: 10, userId: u.info.id } })).toEqual([]);
  });

  test("staleness is the text, computed alike in SQL and here: unicode text is current, a tags-only edit is not stale", async () => {
    const u = await h.user();
    const made = await u.post("/v1/entries", { title: "Café ☕ 日記", content: "Naïve résumé 🚲 — ünïcödé\nsecond line" });
    await waitEmbedded(h.services, made.body);
    expect(await staleEntries({ ctx: { s: h.services }, input: { limit: 10, userId: u.info.id } })).toEqual([]);
    expect((await u.patch(`/v1/entries/${made.body.id}`, { tags: ["travel"] })).status).toBe(200);
    expect(await staleEntries({ ctx: { s: h.services }, input: { limit: 10, userId: u.info.id } })).toEqual([]);
    // A text change made behind the app's back (no job queued) is found.
    await h.services.db.primary.execute(sql`update entries set content = content || '!' where id = ${made.body.id}`);
    expect(await staleEntries({ ctx: { s: h.services }, input: { limit: 10, userId: u.info.id } })).toEqual([
      { id: made.body.id, userId: u.info.id },
    ]);
  });

  test("vectors of another model count as stale", async () => {
    const u = await h.user();
    const made = await u.post("/v1/entries", { title: "Model change", content: "embedded by an older model" });
    await waitEmbedded(h.services, made.body);
    expect(await staleEntries({ ctx: { s: h.services }, input: { limit: 10, userId: u.info.id } })).toEqual([]);
    await h.services.db.primary.execute(sql`update embedding_status set model = 'old-model' where entry_id = ${made.body.id}`);
    expect(await staleEntries({ ctx: { s: h.services }, input: { limit: 10, userId: u.info.id } })).toEqual([
      { id: made.body.id, userId: u.info.id },
    ]);
  });

  test("GET /v1/entries/{id}/embedding says pending, current or stale; 404 for trashed and other users' entries; 400 for a bad id", async () => {
    const u = await h.user();
    const other = await h.user();
    fake.configure({ failRate: 1 });
    const made = await u.post("/v1/entries", { title: "State", content: "where do my vectors stand" });
    expect((await u.get(`/v1/entries/${made.body.id}/embedding`)).body).toEqual({
      state: "pending",
      model: null,
      chunks: 0,
      embeddedAt: null,
    });
    fake.configure({ failRate: 0 });
    await waitEmbedded(h.services, made.body, undefined, 20_000);
    const current = await u.get(`/v1/entries/${made.body.id}/embedding`);
    expect(current.status).toBe(200);
    expect(current.body).toMatchObject({ state: "current", model: h.services.ai.embeddingModel, chunks: 1 });
    expect(Date.parse(current.body.embeddedAt)).toBeGreaterThan(0);
    await h.services.db.primary.execute(sql`update embedding_status set model = 'old-model' where entry_id = ${made.body.id}`);
    expect((await u.get(`/v1/entries/${made.body.id}/embedding`)).body.state).toBe("stale");

    expect((await other.get(`/v1/entries/${made.body.id}/embedding`)).status).toBe(404);
    expect((await u.get(`/v1/entries/${crypto.randomUUID()}/embedding`)).status).toBe(404);
    const bad = await u.get("/v1/entries/not-a-uuid/embedding");
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("VALIDATION_FAILED");
    const key = async (scopes: string[]) => u.withToken((await u.post("/v1/api-keys", { name: "k", scopes })).body.key);
    expect((await (await key(["entries:read"])).get(`/v1/entries/${made.body.id}/embedding`)).status).toBe(200);
    expect((await (await key(["links:read"])).get(`/v1/entries/${made.body.id}/embedding`)).status).toBe(403);
    expect((await u.del(`/v1/entries/${made.body.id}`)).status).toBe(204);
    expect((await u.get(`/v1/entries/${made.body.id}/embedding`)).status).toBe(404);
  }, 30_000);
});
