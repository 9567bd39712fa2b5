import type { Call, Ctx } from "../context";
import { AppError } from "../errors";
import { GT, LT, MARK_END, MARK_START, markHighlights } from "../lib/highlight";
import { entriesWithHeadlines, keywordRanking, type SearchHit, type SearchPage, type SearchQuery, searchKeyword } from "./keyword";
import { AiUnavailable, embedQuery } from "./query-embedding";
import { bestPerEntry, type ChunkHit, nearestChunks } from "./vector-search";

/** Reciprocal rank fusion constant, as in Cormack et al. and most hybrid search engines. */
export const RRF_K = 60;
/** How deep each list is read before fusing: enough that an entry ranked well by one side is not lost. */
const FUSION_DEPTH = 50;
/** Chunks fetched per wanted entry: long entries contribute several chunks to the nearest list. */
const CHUNKS_PER_ENTRY = 2;
const SNIPPET_CHARS = 280;

// markHighlights reads these as marks and stand-ins; a chunk has no matches to mark.
const SENTINELS = [MARK_START, MARK_END, LT, GT];

/** The matching chunk as a snippet: HTML-escaped, cut at a word near SNIPPET_CHARS. */
export function chunkSnippet(chunk: string): string {
  let text = SENTINELS.reduce((t, ch) => t.replaceAll(ch, ""), chunk)
    .replace(/\s+/g, " ")
    .trim();
  if (text.length > SNIPPET_CHARS) {
    const space = text.lastIndexOf(" ", SNIPPET_CHARS);
    text = `${text.slice(0, space > SNIPPET_CHARS / 2 ? space : SNIPPET_CHARS)} …`;
  }
  return markHighlights(text);
}

/** Entries nearest in meaning, best chunk per entry, at least SEARCH_MIN_SIMILARITY alike. */
async function nearestEntries(ctx: Ctx, q: SearchQuery, n: number, vector: number[]): Promise<ChunkHit[]> {
  const maxDistance = 1 - ctx.s.env.SEARCH_MIN_SIMILARITY;
  const hits = await nearestChunks({ ctx, input: { vector, k: n * CHUNKS_PER_ENTRY, filters: q } });
  return bestPerEntry(hits.filter((h) => h.distance <= maxDistance)).slice(0, n);
}

export async function searchSemantic({ ctx, input: q }: Call<SearchQuery>): Promise<SearchPage> {
  const hits = await nearestEntries(ctx, q, q.limit, await embedQuery({ ctx, input: { text: q.q } }));
  const byId = await entriesWithHeadlines({
    ctx,
    input: { text: q.q, ids: hits.map((h) => h.entryId), snippets: false, includeShared: q.includeShared },
  });
  const items: SearchHit[] = [];
  for (const hit of hits) {
    const row = byId.get(hit.entryId);
    if (!row) continue; // purged meanwhile
    const { titleHeadline, snippet: _keywordSnippet, sharedBy: _own, ...entry } = row;
    const similarity = 1 - hit.distance;
    items.push({ entry, rank: similarity, similarity, highlights: { title: titleHeadline, snippet: chunkSnippet(hit.chunk) } });
  }
  return { items, nextCursor: null, mode: "semantic" };
}

/** Sum of 1/(RRF_K + rank) over the lists an entry appears in (ranks from 1). */
export function reciprocalRankFusion(lists: string[][]): Map<string, number> {
  const scores = new Map<string, number>();
  for (const list of lists) {
    list.forEach((id, i) => {
      scores.set(id, (scores.get(id) ?? 0) + 1 / (RRF_K + i + 1));
    });
  }
  return scores;
}

/**
 * Keyword and vector ranks fused by reciprocal rank fusion. Without the AI gateway it is keyword
 * search, and says so (`mode: "keyword"`, `degraded`), rather than failing.
 */
export async function searchHybrid({ ctx, input }: Call<SearchQuery>): Promise<SearchPage> {
  return (await hybridWithChunks({ ctx, input: { query: input } })).page;
}

/**
 * Hybrid search, with each vector-found entry's full matching chunk (for chat retrieval), and
 * optionally another text to embed than the keyword query.
 */
export async function hybridWithChunks({
  ctx,
  input: { query: q, vectorText },
}: Call<{ query: SearchQuery; vectorText?: string }>): Promise<{ page: SearchPage; chunks: Map<string, string> }> {
  const depth = Math.max(FUSION_DEPTH, q.limit);
  // The keyword ranking runs while the query is embedded and the vectors searched.
  const [keyword, nearest] = await Promise.all([
    keywordRanking({ ctx, input: { query: q, n: depth } }),
    embedQuery({ ctx, input: { text: vectorText ?? q.q } }).then(
      (vector) => nearestEntries(ctx, q, depth, vector),
      (err: unknown) => {
        if (err instanceof AiUnavailable) return null;
        throw err;
      },
    ),
  ]);
  if (nearest === null) {
    const page = await searchKeyword({ ctx, input: { ...q, mode: "keyword", cursor: undefined } });
    return { page: { ...page, nextCursor: null, degraded: "ai-unavailable" }, chunks: new Map() };
  }
  const scores = reciprocalRankFusion([keyword.map((k) => k.id), nearest.map((h) => h.entryId)]);
  const top = [...scores.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? 1 : -1)).slice(0, q.limit);
  const keywordIds = new Set(keyword.map((k) => k.id));
  const chunkOf = new Map(nearest.map((h) => [h.entryId, h]));
  const byId = await entriesWithHeadlines({ ctx, input: { text: q.q, ids: top.map(([id]) => id), includeShared: q.includeShared } });
  const items: SearchHit[] = [];
  for (const [id, score] of top) {
    const row = byId.get(id);
    if (!row) continue;
    const { titleHeadline, snippet, sharedBy, ...entry } = row;
    const chunk = chunkOf.get(id);
    const hit: SearchHit = { entry, rank: score, highlights: { title: titleHeadline, snippet }, ...(sharedBy ? { sharedBy } : {}) };
    if (chunk) {
      hit.similarity = 1 - chunk.distance;
      // A keyword match shows its marked words; a match by meaning only shows the chunk that matched.
      if (!keywordIds.has(id)) hit.highlights.snippet = chunkSnippet(chunk.chunk);
    }
    items.push(hit);
  }
  return { page: { items, nextCursor: null, mode: "hybrid" }, chunks: new Map(nearest.map((h) => [h.entryId, h.chunk])) };
}

/** GET /v1/search: keyword pages by cursor; semantic and hybrid answer one page of the best `limit`. */
export async function searchEntries({ ctx, input: q }: Call<SearchQuery>): Promise<SearchPage> {
  if (q.mode === "keyword") return searchKeyword({ ctx, input: q });
  if (q.cursor) {
    throw new AppError(
      "VALIDATION_FAILED",
      "cursor applies to mode=keyword only; semantic and hybrid return one page of the best matches",
      [{ path: "cursor", message: "only with mode=keyword" }],
    );
  }
  return q.mode === "semantic" ? searchSemantic({ ctx, input: q }) : searchHybrid({ ctx, input: q });
}
