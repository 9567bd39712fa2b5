import { schema } from "@tcc/db";
import { and, desc, eq, inArray, sql } from "drizzle-orm";
import { encodeCursor } from "../lib/cursor";
import { GT, LT, MARK_END, MARK_START, markHighlights } from "../lib/highlight";
import type { Ctx } from "../services";
import { type EntryFilters, type EntryView, entryColumns, entryConditions, toView } from "./entry-query";
import { readCursor } from "./keyset";

const e = schema.entries;

export interface SearchQuery extends EntryFilters {
  q: string;
  mode: "keyword";
  limit: number;
  cursor?: string;
}

export interface SearchHit {
  entry: EntryView;
  rank: number;
  highlights: { title: string; snippet: string };
}

// A float as Postgres and JS print it; anything else would fail the ::float8 cast with a 500.
const FLOAT = /^-?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i;
const isRank = (v: string) => FLOAT.test(v) && Number.isFinite(Number(v));

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

/**
 * Keyword search over the generated tsvector, best match first. Ranking runs over every match;
 * headlines, which re-parse the text, only over the page's rows.
 */
export async function searchEntries(ctx: Ctx, q: SearchQuery): Promise<{ items: SearchHit[]; nextCursor: string | null }> {
  const db = ctx.s.db.read(ctx.userId);
  // websearch_to_tsquery never fails on user input; a query of stop words only ("the") is an
  // empty tsquery, which matches nothing, so it yields an empty page rather than an error.
  const query = sql`websearch_to_tsquery('english', ${q.q})`;
  const rank = sql<number>`ts_rank_cd(${e.search}, ${query})::float8`;
  const cur = q.cursor ? readCursor(q.cursor, isRank) : undefined;
  const after = cur ? sql`(${rank}, ${e.id}) < (${cur.v}::float8, ${cur.id}::uuid)` : undefined;

  const ranked = await db
    .select({ id: e.id, rank })
    .from(e)
    .where(and(...entryConditions(ctx.userId, q), sql`${e.search} @@ ${query}`, after))
    .orderBy(desc(rank), desc(e.id))
    .limit(q.limit + 1);
  const pageRows = ranked.slice(0, q.limit);
  if (pageRows.length === 0) return { items: [], nextCursor: null };

  const rows = await db
    .select({
      ...entryColumns,
      titleHeadline: sql<string>`ts_headline('english', translate(${e.title}, ${HEADLINE_FROM}, ${HEADLINE_TO}), ${query}, ${TITLE_OPTIONS})`,
      snippet: sql<string>`ts_headline('english', translate(left(${e.content}, ${SNIPPET_SOURCE_CHARS}::int), ${HEADLINE_FROM}, ${HEADLINE_TO}), ${query}, ${SNIPPET_OPTIONS})`,
    })
    .from(e)
    .where(
      and(
        eq(e.userId, ctx.userId),
        inArray(
          e.id,
          pageRows.map((r) => r.id),
        ),
      ),
    );
  const byId = new Map(rows.map((r) => [r.id, r]));

  const items: SearchHit[] = [];
  for (const { id, rank: r } of pageRows) {
    const row = byId.get(id);
    if (!row) continue; // purged between the two queries
    items.push({
      entry: toView(row),
      rank: Number(r),
      highlights: { title: markHighlights(row.titleHeadline), snippet: markHighlights(row.snippet) },
    });
  }
  const last = ranked.length > q.limit ? pageRows[pageRows.length - 1] : undefined;
  return { items, nextCursor: last ? encodeCursor({ v: String(Number(last.rank)), id: last.id }) : null };
}
