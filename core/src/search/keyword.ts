import { schema } from "@tcc/db";
import { and, desc, eq, inArray, type SQL, sql } from "drizzle-orm";
import type { Call } from "../context";
import { readCursor } from "../db/keyset";
import { type EntryFilters, type EntryView, entryColumns, entryConditions, toView } from "../entries/entry-query";
import { encodeCursor } from "../lib/cursor";
import { GT, LT, MARK_END, MARK_START, markHighlights } from "../lib/highlight";

const e = schema.entries;

export type SearchMode = "keyword" | "semantic" | "hybrid";

export interface SearchQuery extends EntryFilters {
  q: string;
  mode: SearchMode;
  limit: number;
  cursor?: string;
}

export interface SearchHit {
  entry: EntryView;
  rank: number;
  highlights: { title: string; snippet: string };
  /** Cosine similarity of the entry's best-matching chunk, when vector search found it. */
  similarity?: number;
  /** The owner's user id, when the entry is someone else's shared with the caller (include=shared). */
  sharedBy?: string;
}

export interface SearchPage {
  items: SearchHit[];
  nextCursor: string | null;
  /** The mode that answered: hybrid falls back to keyword when the AI gateway is down. */
  mode: SearchMode;
  /** Why the requested mode was not served in full. */
  degraded?: "ai-unavailable";
}

// A rank exactly as this API prints it (String(Number(rank))): anything else could fail the
// ::float8 cast with a 500 ("1e-400" underflows a double). Ranks are float4s, never negative.
const isRank = (v: string) => {
  const n = Number(v);
  return String(n) === v && (n === 0 || (n >= 1e-300 && n <= 1e300));
};

const SNIPPET_OPTIONS = `StartSel=${MARK_START}, StopSel=${MARK_END}, MaxFragments=2, MaxWords=30, MinWords=8, FragmentDelimiter=" … "`;
// Titles are short: the whole title, matches marked, reads better than fragments of it.
const TITLE_OPTIONS = `StartSel=${MARK_START}, StopSel=${MARK_END}, HighlightAll=true`;
// What ts_headline is given: < and > swapped for their stand-ins, so no text is taken for a tag
// and dropped, and the sentinels and stand-ins already in the user's text dropped (translate
// deletes characters of the first list that have no counterpart in the second), so every mark in
// a headline is a match and every stand-in was a < or >.
const HEADLINE_FROM = `<>${MARK_START}${MARK_END}${LT}${GT}`;
const HEADLINE_TO = LT + GT;
// ts_headline re-parses the text it is given; the first 100K characters hold the best snippet
// often enough, and bound the cost of a page of huge entries.
const SNIPPET_SOURCE_CHARS = 100_000;

/** The text-search configuration of the generated `search` column, as a literal: queries must use the same one. */
const config = sql.raw(`'${schema.SEARCH_CONFIG}'`);

/** websearch_to_tsquery never fails on user input; a query of stop words only is empty and matches nothing. */
const tsquery = (text: string) => sql`websearch_to_tsquery(${config}, ${text})`;
const tsRank = (text: string) => sql<number>`ts_rank_cd(${e.search}, ${tsquery(text)})::float8`;

/** Keyword matches best first, ids and ranks only: ranking runs over every match, headlines only over a page. */
export async function keywordRanking({
  ctx,
  input: { query: q, n, after },
}: Call<{ query: EntryFilters & { q: string }; n: number; after?: SQL }>) {
  const rank = tsRank(q.q);
  return ctx.s.db
    .read(ctx.userId)
    .select({ id: e.id, rank })
    .from(e)
    .where(and(...entryConditions(ctx.userId, q), sql`${e.search} @@ ${tsquery(q.q)}`, after))
    .orderBy(desc(rank), desc(e.id))
    .limit(n);
}

/**
 * The entries behind `ids` with their keyword headlines (a query without a match yields the text's
 * start, unmarked). `snippets: false` skips the content headline, which re-parses the text.
 */
export async function entriesWithHeadlines({
  ctx,
  input: { text, ids, snippets = true, includeShared = false },
}: Call<{ text: string; ids: string[]; snippets?: boolean; includeShared?: boolean }>) {
  if (ids.length === 0) return new Map<string, EntryView & { titleHeadline: string; snippet: string; sharedBy?: string }>();
  const query = tsquery(text);
  const rows = await ctx.s.db
    .read(ctx.userId)
    .select({
      ...entryColumns,
      ownerId: e.userId,
      titleHeadline: sql<string>`ts_headline(${config}, translate(${e.title}, ${HEADLINE_FROM}, ${HEADLINE_TO}), ${query}, ${TITLE_OPTIONS})`,
      snippet: snippets
        ? sql<string>`ts_headline(${config}, translate(left(${e.content}, ${SNIPPET_SOURCE_CHARS}::int), ${HEADLINE_FROM}, ${HEADLINE_TO}), ${query}, ${SNIPPET_OPTIONS})`
        : sql<string>`''`,
    })
    .from(e)
    .where(and(includeShared ? entryConditions(ctx.userId, { includeShared })[0] : eq(e.userId, ctx.userId), inArray(e.id, ids)));
  return new Map(
    rows.map((r) => [
      r.id,
      {
        ...toView(r),
        titleHeadline: markHighlights(r.titleHeadline),
        snippet: markHighlights(r.snippet),
        ...(r.ownerId === ctx.userId ? {} : { sharedBy: r.ownerId }),
      },
    ]),
  );
}

/** Keyword search over the generated tsvector, best match first, paged by (rank, id). */
export async function searchKeyword({ ctx, input: q }: Call<SearchQuery>): Promise<SearchPage> {
  const cur = q.cursor ? readCursor(q.cursor, isRank) : undefined;
  const after = cur ? sql`(${tsRank(q.q)}, ${e.id}) < (${cur.v}::float8, ${cur.id}::uuid)` : undefined;
  const ranked = await keywordRanking({ ctx, input: { query: q, n: q.limit + 1, after } });
  const pageRows = ranked.slice(0, q.limit);
  const byId = await entriesWithHeadlines({ ctx, input: { text: q.q, ids: pageRows.map((r) => r.id), includeShared: q.includeShared } });
  const items: SearchHit[] = [];
  for (const { id, rank } of pageRows) {
    const row = byId.get(id);
    if (!row) continue; // purged between the two queries
    const { titleHeadline, snippet, sharedBy, ...entry } = row;
    items.push({ entry, rank: Number(rank), highlights: { title: titleHeadline, snippet }, ...(sharedBy ? { sharedBy } : {}) });
  }
  const last = ranked.length > q.limit ? pageRows[pageRows.length - 1] : undefined;
  return { items, nextCursor: last ? encodeCursor({ v: String(Number(last.rank)), id: last.id }) : null, mode: "keyword" };
}
