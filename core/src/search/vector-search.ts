import { type Database, type Drizzle, rowsOf, schema } from "@tcc/db";
import { and, eq, sql } from "drizzle-orm";
import type { Call, Ctx } from "../context";
import { type EntryFilters, entryConditions } from "../entries/entry-query";

const d = schema.documentEmbeddings;
const e = schema.entries;

/**
 * Up to this many chunks a user's vectors are compared exactly: complete, and no slower than the
 * index (a 768-dim vector is stored out of line; reading and comparing one cost 5-20 µs here).
 * Above it the planner may use the HNSW index with an iterative scan; scanning the index for a
 * user who owns few of its vectors would walk most of the graph before giving up.
 * (bench:vector has recall and latency; bench:hybrid the whole search.)
 */
export const EXACT_SCAN_MAX_CHUNKS = 500;
/** HNSW candidate list; the bench measured recall@10 for user-filtered queries at 40/100/200. */
export const EF_SEARCH = 100;
/**
 * How far an iterative scan may walk past other users' vectors before giving up. If it comes back
 * short, the exact scan runs instead, so a result is never incomplete, only slower.
 */
export const MAX_SCAN_TUPLES = 50_000;

export interface ChunkHit {
  entryId: string;
  chunk: string;
  /** Cosine distance: 0 is the same direction, 2 the opposite. */
  distance: number;
}

/** pgvector 0.8 added iterative index scans; an older extension (or one we cannot ask) gets exact scans only. */
const iterativeSupport = new WeakMap<Database, Promise<boolean>>();
function supportsIterativeScan(db: Database): Promise<boolean> {
  let known = iterativeSupport.get(db);
  if (!known) {
    known = db.primary
      .execute(sql`select extversion from pg_extension where extname = 'vector'`)
      .then((r) => {
        const [major = 0, minor = 0] = (rowsOf<{ extversion: string }>(r)[0]?.extversion ?? "0.0").split(".").map(Number);
        return major > 0 || minor >= 8;
      })
      .catch(() => false);
    iterativeSupport.set(db, known);
  }
  return known;
}

const literal = (v: number[]) => `[${v.join(",")}]`;

/** Chunks nearest to `vector` among the user's live entries, best first, at most `k`. */
async function scan(tx: Drizzle, ctx: Ctx, vector: number[], k: number, filters: EntryFilters, exact: boolean): Promise<ChunkHit[]> {
  const distance = sql<number>`(${d.embedding} <=> ${literal(vector)}::vector)`;
  // An ORDER BY the HNSW index cannot serve: the planner then computes every distance.
  const order = exact ? sql`${distance} + 0` : distance;
  const rows = await tx
    .select({ entryId: d.entryId, chunk: d.chunkText, distance })
    .from(d)
    .innerJoin(e, and(eq(e.id, d.entryId), eq(e.userId, d.userId)))
    .where(and(eq(d.userId, ctx.userId), eq(d.model, ctx.s.ai.embeddingModel), ...entryConditions(ctx.userId, filters)))
    .orderBy(order)
    .limit(k);
  // relaxed_order may return slightly out of order.
  return rows.map((r) => ({ entryId: r.entryId, chunk: r.chunk, distance: Number(r.distance) })).sort((a, b) => a.distance - b.distance);
}

/** Whether the user has more than `n` chunks; stops reading at n + 1, however many they have. */
async function hasMoreChunksThan(tx: Drizzle, userId: string, n: number): Promise<boolean> {
  const rows = rowsOf(await tx.execute(sql`select 1 from document_embeddings where user_id = ${userId} offset ${n} limit 1`));
  return rows.length > 0;
}

/**
 * The user's chunks nearest to `vector`. Always scoped to the user and their live entries; with
 * many users sharing one HNSW index, pgvector's iterative scan keeps walking the graph until it
 * has found `k` of this user's chunks (or the exact scan finishes the job), so other users owning
 * most vectors never makes a user's result incomplete.
 */
export async function nearestChunks({
  ctx,
  input: { vector, k, filters = {}, exactScanMaxChunks = EXACT_SCAN_MAX_CHUNKS },
}: Call<{ vector: number[]; k: number; filters?: EntryFilters; exactScanMaxChunks?: number }>): Promise<ChunkHit[]> {
  const iterative = await supportsIterativeScan(ctx.s.db);
  const exactMax = exactScanMaxChunks;
  return ctx.s.db.read(ctx.userId).transaction(async (tx) => {
    if (!iterative || !(await hasMoreChunksThan(tx, ctx.userId, exactMax))) return scan(tx, ctx, vector, k, filters, true);
    await tx.execute(
      // enable_sort off: the planner prices a 768-dim distance like any operator and would rather
      // compute thousands of them and sort; the index's own order is the only sort-free plan.
      sql`select set_config('hnsw.iterative_scan', 'relaxed_order', true), set_config('hnsw.ef_search', ${String(Math.max(EF_SEARCH, k))}, true),
        set_config('hnsw.max_scan_tuples', ${String(MAX_SCAN_TUPLES)}, true), set_config('enable_sort', 'off', true)`,
    );
    const hits = await scan(tx, ctx, vector, k, filters, false);
    if (hits.length >= k) return hits;
    await tx.execute(sql`select set_config('enable_sort', 'on', true)`);
    return scan(tx, ctx, vector, k, filters, true);
  });
}

/** Best chunk per entry, best entry first. */
export function bestPerEntry(hits: ChunkHit[]): ChunkHit[] {
  const seen = new Set<string>();
  return hits.filter((h) => !seen.has(h.entryId) && seen.add(h.entryId));
}
