import { rowsOf } from "@tcc/db";
import { sql } from "drizzle-orm";
import type { Call, SystemCtx } from "../context";
import { notFound } from "../errors";
import { enqueueEmbedding, textHashSql } from "./embeddings";

export interface StaleQuery {
  limit: number;
  /** Keyset: entries with a smaller id (ids are UUIDv7: newest first, what people are likely to search for). */
  afterId?: string;
  /** One user's entries only. */
  userId?: string;
  /** Every live entry, not only the missing or stale ones. */
  all?: boolean;
}

/**
 * Live entries whose vectors are missing, were made by another model than AI_EMBEDDING_MODEL, or
 * from another title and content than the entry has now (a tags-only edit does not count).
 */
export async function staleEntries({ ctx: { s }, input: q }: Call<StaleQuery, SystemCtx>): Promise<{ id: string; userId: string }[]> {
  const model = s.ai.embeddingModel;
  const stale = q.all ? sql`true` : sql`(st.entry_id is null or st.model <> ${model} or st.content_hash <> ${textHashSql})`;
  const after = q.afterId ? sql`and e.id < ${q.afterId}` : sql``;
  const owner = q.userId ? sql`and e.user_id = ${q.userId}` : sql``;
  return rowsOf<{ id: string; userId: string }>(
    await s.db.primary.execute(sql`select e.id, e.user_id as "userId" from entries e
      left join embedding_status st on st.user_id = e.user_id and st.entry_id = e.id
      where e.deleted_at is null and ${stale} ${after} ${owner}
      order by e.id desc limit ${q.limit}`),
  );
}

/**
 * How many live entries still need vectors: the missing or stale ones, or with `since` (a database
 * timestamp, for --all) every one not embedded since then.
 */
export async function countUnembedded({ ctx: { s }, input: opts }: Call<{ userId?: string; since?: string }, SystemCtx>): Promise<number> {
  const pending = opts.since
    ? sql`(st.entry_id is null or st.embedded_at < ${opts.since}::timestamptz)`
    : sql`(st.entry_id is null or st.model <> ${s.ai.embeddingModel} or st.content_hash <> ${textHashSql})`;
  const owner = opts.userId ? sql`and e.user_id = ${opts.userId}` : sql``;
  const [row] = rowsOf<{ n: number }>(
    await s.db.primary.execute(sql`select count(*)::int as n from entries e
      left join embedding_status st on st.user_id = e.user_id and st.entry_id = e.id
      where e.deleted_at is null and ${pending} ${owner}`),
  );
  return row?.n ?? 0;
}

/**
 * Queues every entry `staleEntries` finds, page by page, and returns how many. The job ids carry
 * `run`, so a job that failed for good earlier (and is kept for inspection) does not block a new one.
 */
/** How long a sweep waits for the queue to confirm a page of jobs (longer: Redis is down; they go on reconnect). */
const ENQUEUE_CONFIRM_MS = 10_000;

export async function enqueueStale({
  ctx,
  input: opts,
}: Call<{ all?: boolean; force?: boolean; max?: number; userId?: string; run: string }, SystemCtx>): Promise<number> {
  let queued = 0;
  let afterId: string | undefined;
  const max = opts.max ?? Number.POSITIVE_INFINITY;
  while (queued < max) {
    const want = Math.min(500, max - queued);
    const page = await staleEntries({ ctx, input: { limit: want, afterId, all: opts.all, userId: opts.userId } });
    // A page at a time, confirmed: the queue sends each page's jobs together.
    await Promise.all(
      page.map((row) =>
        enqueueEmbedding({
          ctx,
          input: { job: { userId: row.userId, entryId: row.id, force: opts.force }, version: opts.run, waitMs: ENQUEUE_CONFIRM_MS },
        }),
      ),
    );
    queued += page.length;
    if (page.length < want) break;
    afterId = page[page.length - 1]?.id;
  }
  return queued;
}

/**
 * Start-up sweep: the embedded default keeps jobs in memory, so a restart loses what was queued;
 * and a failed job or a model change leaves entries behind in any setup. Runs in the background,
 * bounded by EMBEDDING_SWEEP_MAX per start (0 turns it off).
 */
export function startEmbeddingSweep({ ctx, input }: Call<{ max?: number } | undefined, SystemCtx>): Promise<number> {
  const { s } = ctx;
  const max = input?.max ?? s.env.EMBEDDING_SWEEP_MAX;
  if (max === 0) return Promise.resolve(0);
  return enqueueStale({ ctx, input: { max, run: `sweep${Date.now()}` } })
    .then((n) => {
      if (n > 0) s.logger.info({ entries: n }, "queued embeddings missing since the last run");
      return n;
    })
    .catch((err: unknown) => {
      s.logger.warn({ err: String(err) }, "embedding sweep failed; entries missing vectors stay unqueued until the next start");
      return 0;
    });
}

export interface EmbeddingState {
  /** current: vectors of this text and model; stale: of an older text or another model; pending: none yet. */
  state: "current" | "stale" | "pending";
  model: string | null;
  chunks: number;
  embeddedAt: string | null;
}

/** Where a live entry of the caller's stands; 404 for a missing, trashed or foreign one. */
export async function embeddingStateOf({ ctx, input: { entryId } }: Call<{ entryId: string }>): Promise<EmbeddingState> {
  const [row] = rowsOf<{ model: string | null; chunks: number | null; embeddedAt: Date | string | null; current: boolean | null }>(
    await ctx.s.db.read(ctx.userId).execute(sql`select st.model, st.chunks, st.embedded_at as "embeddedAt",
        (st.model = ${ctx.s.ai.embeddingModel} and st.content_hash = ${textHashSql}) as current
      from entries e left join embedding_status st on st.user_id = e.user_id and st.entry_id = e.id
      where e.user_id = ${ctx.userId} and e.id = ${entryId} and e.deleted_at is null`),
  );
  if (!row) throw notFound("Entry");
  if (row.model === null) return { state: "pending", model: null, chunks: 0, embeddedAt: null };
  return {
    state: row.current ? "current" : "stale",
    model: row.model,
    chunks: row.chunks ?? 0,
    embeddedAt: row.embeddedAt ? new Date(row.embeddedAt).toISOString() : null,
  };
}
