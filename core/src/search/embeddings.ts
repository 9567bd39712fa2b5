import { type Drizzle, rowsOf, schema } from "@tcc/db";
import { and, eq, sql } from "drizzle-orm";
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
 * The embeddings queue's handler: one entry, or a batch in turn. One entry failing does not hold
 * up the rest; the job then fails as a whole, and its retry finds the others "unchanged".
 */
export async function runEmbeddingJob({ ctx, input: job }: Call<EmbeddingJob | EmbeddingBatch, SystemCtx>): Promise<void> {
  if ("entryId" in job) {
    await embedEntry({ ctx, input: job });
    return;
  }
  let failed: unknown;
  for (const entryId of job.entryIds) {
    try {
      await embedEntry({ ctx, input: { userId: job.userId, entryId } });
    } catch (err) {
      failed ??= err;
    }
  }
  if (failed) throw failed;
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

async function embedChunks(s: Services, userId: string, title: string, chunks: string[]): Promise<number[][]> {
  const out: number[][] = [];
  for (let i = 0; i < chunks.length; i += EMBED_BATCH) {
    const texts = chunks.slice(i, i + EMBED_BATCH).map((c) => embeddingInput(title, c));
    out.push(...(await s.ai.embed({ userId, texts, priority: "batch" })));
  }
  const wrong = out.find((v) => v.length !== s.env.EMBEDDING_DIMS);
  if (wrong) throw new Error(`model ${s.ai.embeddingModel} returned ${wrong.length} dimensions, EMBEDDING_DIMS is ${s.env.EMBEDDING_DIMS}`);
  return out;
}

/**
 * The entry's text with its status row's model and hash, in one round trip: every embedded entry
 * reads both first, and each statement costs core and PostgreSQL more than the lookup does.
 */
async function readSourceAndStatus(db: Drizzle, job: EmbeddingJob) {
  const [row] = await db
    .select({ title: e.title, content: e.content, deletedAt: e.deletedAt, model: st.model, hash: st.contentHash })
    .from(e)
    .leftJoin(st, and(eq(st.userId, e.userId), eq(st.entryId, e.id)))
    .where(and(eq(e.userId, job.userId), eq(e.id, job.entryId)));
  return row;
}

/**
 * Replaces the entry's vectors and status row in one statement (one round trip, no transaction of
 * its own), if the entry still holds the text these vectors were made from: otherwise it writes
 * nothing and says so. The guard locks the entry row (FOR NO KEY UPDATE), so two jobs writing the
 * same entry run in turn and an edit waits until the vectors are in; a lock that had to wait
 * re-checks the guard against the edited row. Chunks are upserted by index and only the surplus
 * of a longer old text deleted: the delete and the insert run on one snapshot, so they must not
 * touch the same keys. updated_at is copied in SQL: a JS Date would drop the microseconds the
 * sweep compares.
 */
async function writeVectors(
  db: Drizzle,
  job: EmbeddingJob,
  model: string,
  hash: string,
  chunks: string[],
  vectors: number[][],
): Promise<boolean> {
  const chunkRows = chunks.map(
    (chunkText, i) => sql`(${Bun.randomUUIDv7()}::uuid, ${i}::int, ${chunkText}::text, ${JSON.stringify(vectors[i])}::vector)`,
  );
  const put = chunkRows.length
    ? sql`, put as (insert into document_embeddings (id, user_id, entry_id, chunk_index, chunk_text, model, embedding)
        select c.id, src.user_id, src.id, c.i, c.t, ${model}, c.v from src, (values ${sql.join(chunkRows, sql`, `)}) as c(id, i, t, v)
        on conflict (user_id, entry_id, chunk_index) do update set chunk_text = excluded.chunk_text, model = excluded.model,
          embedding = excluded.embedding, created_at = excluded.created_at)`
    : sql``;
  const rows = await db.execute(sql`with src as (
      select e.user_id, e.id, e.updated_at from entries e
      where e.user_id = ${job.userId} and e.id = ${job.entryId} and e.deleted_at is null and ${textHashSql} = ${hash}
      for no key update
    ), surplus as (
      delete from document_embeddings d using src where d.user_id = src.user_id and d.entry_id = src.id and d.chunk_index >= ${chunks.length}
    )${put}, status as (
      insert into embedding_status (user_id, entry_id, model, content_hash, source_updated_at, chunks, embedded_at)
      select src.user_id, src.id, ${model}, ${hash}, src.updated_at, ${chunks.length}, now() from src
      on conflict (user_id, entry_id) do update set model = excluded.model, content_hash = excluded.content_hash,
        source_updated_at = excluded.source_updated_at, chunks = excluded.chunks, embedded_at = excluded.embedded_at
    )
    select count(*)::int as written from src`);
  return (rowsOf<{ written: number }>(rows)[0]?.written ?? 0) > 0;
}

export type EmbedOutcome = "embedded" | "unchanged" | "gone";

/**
 * The embeddings job: chunks the entry, embeds the chunks, and replaces the entry's vectors in one
 * statement (writeVectors). Idempotent. Stale work never lands: the write is guarded by the text
 * hash under a row lock, and if the text changed meanwhile, the next round embeds the new text; a
 * trashed or purged entry loses its vectors.
 */
export async function embedEntry({ ctx, input: job }: Call<EmbeddingJob, SystemCtx>): Promise<EmbedOutcome> {
  const { s } = ctx;
  const owner = { ...ctx, userId: job.userId };
  const model = s.ai.embeddingModel;
  // Each round reads the entry afresh: a write that found the text changed (or the entry trashed)
  // wrote nothing, and the next read tells which.
  for (let round = 0; ; round++) {
    const source = await readSourceAndStatus(s.db.primary, job);
    if (!source || source.deletedAt) {
      await dropEmbeddings({ ctx: owner, input: job });
      return "gone";
    }
    const hash = textHash(source.title, source.content);
    if (!job.force && source.model === model && source.hash === hash) {
      return "unchanged";
    }
    if (round === MAX_ROUNDS) throw new Error(`entry ${job.entryId} kept changing while it was embedded`);
    const chunks = chunkEntry(source.title, source.content);
    const vectors = await embedChunks(s, job.userId, source.title, chunks);
    if (await writeVectors(s.db.primary, job, model, hash, chunks, vectors)) return "embedded";
  }
}
