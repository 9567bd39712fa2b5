import { schema } from "@tcc/db";
import { eq, gte, isNotNull, isNull, lte, or, type SQL, sql } from "drizzle-orm";
import { afterTimestamp, timestampCursorValue } from "../db/keyset";
import { nameKey } from "../lib/name-key";
import { sharedEntryIds } from "../sharing/grants";

const e = schema.entries;

export interface EntryView {
  id: string;
  title: string;
  content: string;
  topicId: string | null;
  tags: string[];
  /** Attached files not deleted, oldest file first. */
  fileIds: string[];
  occurredAt: string;
  createdAt: string;
  updatedAt: string;
  deletedAt: string | null;
}

/** The columns every entry read selects; tags (sorted by name) and file ids come from correlated subqueries. */
export const entryColumns = {
  id: e.id,
  title: e.title,
  content: e.content,
  topicId: e.topicId,
  occurredAt: e.occurredAt,
  createdAt: e.createdAt,
  updatedAt: e.updatedAt,
  deletedAt: e.deletedAt,
  // Qualified by hand: unqualified "id" inside the subquery would bind to tags.id.
  tags: sql<
    string[]
  >`coalesce((select array_agg(t.name order by t.name_key) from entry_tags et join tags t on t.id = et.tag_id where et.entry_id = "entries"."id"), '{}')`,
  // Soft-deleted files stay linked (uploading the same bytes again brings them back) but are not shown.
  fileIds: sql<
    string[]
  >`coalesce((select array_agg(f.id::text order by f.created_at, f.id) from entry_files ef join files f on f.id = ef.file_id where ef.entry_id = "entries"."id" and f.deleted_at is null), '{}')`,
};

type EntryRow = { [K in keyof typeof entryColumns]: unknown } & {
  occurredAt: Date;
  createdAt: Date;
  updatedAt: Date;
  deletedAt: Date | null;
};

export function toView(r: EntryRow): EntryView {
  return {
    id: r.id as string,
    title: r.title as string,
    content: r.content as string,
    topicId: (r.topicId as string | null) ?? null,
    tags: (r.tags as string[] | null) ?? [],
    fileIds: (r.fileIds as string[] | null) ?? [],
    occurredAt: new Date(r.occurredAt).toISOString(),
    createdAt: new Date(r.createdAt).toISOString(),
    updatedAt: new Date(r.updatedAt).toISOString(),
    deletedAt: r.deletedAt ? new Date(r.deletedAt).toISOString() : null,
  };
}

export interface EntryFilters {
  tags?: string[];
  topicId?: string;
  from?: string;
  to?: string;
  deleted?: boolean;
  /** Search only: entries others shared with the user count too (never with `deleted`). */
  includeShared?: boolean;
}

/** WHERE conditions shared by list and search; always scoped to the user. */
export function entryConditions(userId: string, f: EntryFilters): SQL[] {
  const shared = f.includeShared && !f.deleted;
  const owner = shared ? (or(eq(e.userId, userId), sql`${e.id} in ${sharedEntryIds(userId)}`) as SQL) : eq(e.userId, userId);
  const conds: SQL[] = [owner, f.deleted ? isNotNull(e.deletedAt) : isNull(e.deletedAt)];
  if (f.topicId) conds.push(eq(e.topicId, f.topicId));
  if (f.from) conds.push(gte(e.occurredAt, new Date(f.from)));
  if (f.to) conds.push(lte(e.occurredAt, new Date(f.to)));
  const tags = [...new Set((f.tags ?? []).map(nameKey).filter(Boolean))];
  if (tags.length) {
    // Entries carrying every requested tag.
    conds.push(sql`${e.id} in (select et.entry_id from entry_tags et join tags t on t.id = et.tag_id
      where ${shared ? sql`et.user_id = ${e.userId}` : sql`et.user_id = ${userId}`} and t.name_key in ${tags} group by et.entry_id having count(*) = ${tags.length})`);
  }
  return conds;
}

export const SORT_COLUMNS = { occurredAt: e.occurredAt, createdAt: e.createdAt, updatedAt: e.updatedAt } as const;
export type SortKey = keyof typeof SORT_COLUMNS;

/** The sort value as a cursor keeps it. */
export const cursorValue = (sort: SortKey) => timestampCursorValue(SORT_COLUMNS[sort]);

/** Keyset condition after the cursor, in the list's sort order. */
export const afterCursor = (raw: string | undefined, sort: SortKey, order: "asc" | "desc"): SQL | undefined =>
  afterTimestamp(raw, SORT_COLUMNS[sort], e.id, order);
