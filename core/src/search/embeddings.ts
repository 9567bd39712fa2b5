import { type Drizzle, rowsOf, schema } from "@tcc/db";
import { and, eq, inArray, sql } from "drizzle-orm";
import type { Call, Services, SystemCtx } from "../context";
import { onCommit, primaryDb } from "../db/transaction";
import { enqueueWithin, type QueuedJob } from "../jobs/queue";
import { chunkEntry, embeddingInput } from "./chunks";

export const EMBEDDINGS_QUEUE = "embeddings";
/** Texts per gateway call: large enough to batch well on a GPU, small enough to retry cheaply. */
const EMBED_BATCH = 32;
/** Entries per coalesced job (coalesceEmbeddingJobs). */
const MAX_BATCH_ENTRIES = 16;
/** Rounds of "the entry changed while we embedded it, embed again" before leaving it to a retry. */
const MAX_ROUNDS = 3;

export interface EmbeddingJob {
  userId: string;
  entryId: string;
  /** Re-embed even when text and model are unchanged (`embeddings:backfill --all`). */
  force?: boolean;
}

/** Several entries of one user written in the same tick (coalesceEmbeddingJobs), embedded in turn. */
export interface EmbeddingBatch {
  userId: string;
  entryIds: string[];
}

/**
 * The embeddings queue's coalesce hook: one user's plain jobs added in the same tick (a burst of
 * creates, an import) go as one job, since adding a BullMQ job costs Redis and core far more than
 * its data. Forced and delayed jobs, and a user's only job, go as they are, with their
 * per-version job id. A batch has no job id: a repeat of the same text finds it "unchanged".
 * Batches stay per user, so erasure still finds them by userId.
 */
export function coalesceEmbeddingJobs(jobs: QueuedJob<unknown>[]): QueuedJob<unknown>[] {
  const out: QueuedJob<unknown>[] = [];
  const byUser = new Map<string, QueuedJob<EmbeddingJob>[]>();
  for (const job of jobs) {
    const data = job.data as EmbeddingJob | EmbeddingBatch;
    if (!("entryId" in data) || data.force || job.opts.delayMs) {
      out.push(job);
      continue;
    }
    const group = byUser.get(data.userId) ?? [];
    group.push(job as QueuedJob<EmbeddingJob>);
    byUser.set(data.userId, group);
  }
  for (const [userId, group] of byUser) {
    if (group.length === 1) {
      out.push(group[0] as QueuedJob<EmbeddingJob>);
      continue;
    }
    // Bounded, so an import's thousands of entries still spread over the workers' concurrency.
    const entryIds = [...new Set(group.map((j) => j.data.entryId))];
    for (let i = 0; i < entryIds.length; i += MAX_BATCH_ENTRIES) {
      out.push({ data: { userId, entryIds: entryIds.slice(i, i + MAX_BATCH_ENTRIES) } satisfies EmbeddingBatch, opts: {} });
    }
  }
  return out;
}

/**
 * The embeddings queue's handler: one entry, or a batch together (embedEntries). A batch fails as
 * a whole, and its retry finds the entries already written "unchanged".
 */
export async function runEmbeddingJob({ ctx, input: job }: Call<EmbeddingJob | EmbeddingBatch, SystemCtx>): Promise<void> {
  if ("entryId" in job) await embedEntry({ ctx, input: job });
  else await embedEntries(ctx, job.userId, job.entryIds, false);
}

const st = schema.embeddingStatus;
const e = schema.entries;

/**
 * What the stored vectors were made from; a job whose hash no longer matches the entry is stale.
 * sha256 over the hex sha256 of title and of content, so SQL can compute the same (textHashSql).
 */
export function textHash(title: string, content: string): string {
  const hex = (text: string) => new Bun.CryptoHasher("sha256").update(text).digest("hex");
  return new Bun.CryptoHasher("sha256").update(hex(title) + hex(content)).digest("hex");
}

/** textHash of the `entries` row aliased `e`, in SQL: lets the sweep compare without reading any text out. */
export const textHashSql = sql.raw(
  `encode(sha256(convert_to(encode(sha256(convert_to(e.title, 'UTF8')), 'hex') || encode(sha256(convert_to(e.content, 'UTF8')), 'hex'), 'UTF8')), 'hex')`,
);

/**
 * Queues (re-)embedding an entry. The job id names the text version, so a burst of saves of the
 * same text is one job, while a new text always gets a job of its own, even when one for an older
 * text is already running (a queue drops a new job whose id matches a running one).
 */
export async function enqueueEmbedding({
  ctx,
  input: { job, version, waitMs = 0 },
}: Call<{ job: EmbeddingJob; version: string; waitMs?: number }, SystemCtx>): Promise<void> {
  const { s } = ctx;
  // AI turned off (DisabledAiClient): the job could only fail.
  if (!s.ai.enabled) return;
  // By default off the response path: a write does not wait for the queue (nothing it tells the
  // client depends on it). A job that never reaches Redis is logged, and the start-up sweep
  // finds the entry. Sweeps and backfills wait, to count what they queued.
  await enqueueWithin(s, EMBEDDINGS_QUEUE, job, { jobId: `${job.entryId}_${version}` }, waitMs);
}

/** Queues embedding for an entry just written with this title and content (after the commit, inside a transaction). */
export function entryWritten({ ctx, input: entry }: Call<{ id: string; title: string; content: string }>): Promise<void> {
  const job = { userId: ctx.userId, entryId: entry.id };
  return onCommit(ctx, () => enqueueEmbedding({ ctx, input: { job, version: textHash(entry.title, entry.content) } }));
}

/** Removes an entry's vectors and status (trash); purge cascades by itself. */
export async function dropEmbeddings({ ctx, input: { entryId } }: Call<{ entryId: string }>): Promise<void> {
  const { userId } = ctx;
  await primaryDb(ctx).execute(sql`with gone as (delete from document_embeddings where user_id = ${userId} and entry_id = ${entryId})
    delete from embedding_status where user_id = ${userId} and entry_id = ${entryId}`);
}

/** One vector per text, in gateway calls of at most EMBED_BATCH texts. */
async function embedTexts(s: Services, userId: string, texts: string[]): Promise<number[][]> {
  const out: number[][] = [];
  for (let i = 0; i < texts.length; i += EMBED_BATCH) {
    out.push(...(await s.ai.embed({ userId, texts: texts.slice(i, i + EMBED_BATCH), priority: "batch" })));
  }
  const wrong = out.find((v) => v.length !== s.env.EMBEDDING_DIMS);
  if (wrong) throw new Error(`model ${s.ai.embeddingModel} returned ${wrong.length} dimensions, EMBEDDING_DIMS is ${s.env.EMBEDDING_DIMS}`);
  return out;
}

/**
 * The entries' texts with their status rows' model and hash, in one round trip: every embedded
 * entry reads both first, and each statement costs core and PostgreSQL more than the lookup does.
 */
async function readSourcesAndStatus(db: Drizzle, userId: string, entryIds: string[]) {
  const rows = await db
    .select({ id: e.id, title: e.title, content: e.content, deletedAt: e.deletedAt, model: st.model, hash: st.contentHash })
    .from(e)
    .leftJoin(st, and(eq(st.userId, e.userId), eq(st.entryId, e.id)))
    .where(and(eq(e.userId, userId), inArray(e.id, entryIds)));
  return new Map(rows.map((row) => [row.id, row]));
}

/** An entry's text as chunked and embedded, with the hash of the text it was read as. */
interface Embedded {
  id: string;
  hash: string;
  chunks: string[];
  vectors: number[][];
}

/**
 * Replaces the entries' vectors and status rows in one statement (one round trip, no transaction
 * of its own), for each entry that still holds the text its vectors were made from; returns the
 * ids written. The guard locks those entry rows (FOR NO KEY UPDATE, in id order so two jobs
 * sharing entries wait instead of deadlocking), so two jobs writing the same entry run in turn and
 * an edit waits until the vectors are in; a lock that had to wait re-checks the guard against the
 * edited row. Chunks are upserted by index and only the surplus of a longer old text deleted: the
 * delete and the insert run on one snapshot, so they must not touch the same keys. updated_at is
 * copied in SQL: a JS Date would drop the microseconds the sweep compares. The rows travel as
 * JSON (one parameter, one statement text for any batch), each vector as its text.
 */
async function writeVectors(db: Drizzle, userId: string, model: string, entries: Embedded[]): Promise<Set<string>> {
  const wanted = entries.map(({ id, hash, chunks }) => ({ id, hash, n: chunks.length }));
  const chunkRows = entries.flatMap(({ id, chunks, vectors }) =>
    chunks.map((t, i) => ({ id: Bun.randomUUIDv7(), e: id, i, t, v: JSON.stringify(vectors[i]) })),
  );
  const rows = await db.execute(sql`with wanted as (
      select * from json_to_recordset(${JSON.stringify(wanted)}::json) as w(id uuid, hash text, n int)
    ), src as (
      select e.user_id, e.id, e.updated_at, w.hash, w.n from entries e join wanted w on w.id = e.id
      where e.user_id = ${userId} and e.deleted_at is null and ${textHashSql} = w.hash
      order by e.id
      for no key update of e
    ), surplus as (
      delete from document_embeddings d using src where d.user_id = src.user_id and d.entry_id = src.id and d.chunk_index >= src.n
    ), put as (
      insert into document_embeddings (id, user_id, entry_id, chunk_index, chunk_text, model, embedding)
      select c.id, src.user_id, src.id, c.i, c.t, ${model}, c.v
      from src join json_to_recordset(${JSON.stringify(chunkRows)}::json) as c(id uuid, e uuid, i int, t text, v vector) on c.e = src.id
      on conflict (user_id, entry_id, chunk_index) do update set chunk_text = excluded.chunk_text, model = excluded.model,
        embedding = excluded.embedding, created_at = excluded.created_at
    ), status as (
      insert into embedding_status (user_id, entry_id, model, content_hash, source_updated_at, chunks, embedded_at)
      select src.user_id, src.id, ${model}, src.hash, src.updated_at, src.n, now() from src
      on conflict (user_id, entry_id) do update set model = excluded.model, content_hash = excluded.content_hash,
        source_updated_at = excluded.source_updated_at, chunks = excluded.chunks, embedded_at = excluded.embedded_at
    )
    select id from src`);
  return new Set(rowsOf<{ id: string }>(rows).map((r) => r.id));
}

export type EmbedOutcome = "embedded" | "unchanged" | "gone";

/**
 * The embeddings job: chunks the entry, embeds the chunks, and replaces the entry's vectors in one
 * statement (writeVectors). Idempotent. Stale work never lands: the write is guarded by the text
 * hash under a row lock, and if the text changed meanwhile, the next round embeds the new text; a
 * trashed or purged entry loses its vectors.
 */
export async function embedEntry({ ctx, input: job }: Call<EmbeddingJob, SystemCtx>): Promise<EmbedOutcome> {
  const outcomes = await embedEntries(ctx, job.userId, [job.entryId], job.force ?? false);
  return outcomes.get(job.entryId) as EmbedOutcome;
}

/**
 * embedEntry for several entries of one user at once: one read of their texts, their chunks in
 * shared gateway calls, one write; each round takes only the entries whose text changed while
 * the model worked. A batch's statements and model calls, not its entries, are what cost core,
 * the gateway and PostgreSQL beyond the vector index itself.
 */
async function embedEntries(ctx: SystemCtx, userId: string, entryIds: string[], force: boolean): Promise<Map<string, EmbedOutcome>> {
  const { s } = ctx;
  const model = s.ai.embeddingModel;
  const outcomes = new Map<string, EmbedOutcome>();
  // Each round reads the entries afresh: a write that found a text changed (or the entry trashed)
  // wrote nothing for it, and the next read tells which.
  let pending = [...new Set(entryIds)];
  for (let round = 0; pending.length > 0; round++) {
    const sources = await readSourcesAndStatus(s.db.primary, userId, pending);
    const todo: { id: string; title: string; hash: string; chunks: string[] }[] = [];
    for (const id of pending) {
      const source = sources.get(id);
      if (!source || source.deletedAt) {
        await dropEmbeddings({ ctx: { ...ctx, userId }, input: { entryId: id } });
        outcomes.set(id, "gone");
        continue;
      }
      const hash = textHash(source.title, source.content);
      if (!force && source.model === model && source.hash === hash) outcomes.set(id, "unchanged");
      else todo.push({ id, title: source.title, hash, chunks: chunkEntry(source.title, source.content) });
    }
    if (todo.length === 0) break;
    if (round === MAX_ROUNDS) throw new Error(`entry ${todo.map((t) => t.id).join(", ")} kept changing while it was embedded`);
    const vectors = await embedTexts(
      s,
      userId,
      todo.flatMap((t) => t.chunks.map((c) => embeddingInput(t.title, c))),
    );
    let at = 0;
    const embedded = todo.map(({ id, hash, chunks }) => {
      at += chunks.length;
      return { id, hash, chunks, vectors: vectors.slice(at - chunks.length, at) };
    });
    const written = await writeVectors(s.db.primary, userId, model, embedded);
    for (const id of written) outcomes.set(id, "embedded");
    pending = todo.filter((t) => !written.has(t.id)).map((t) => t.id);
  }
  return outcomes;
}
