import { type Drizzle, rowsOf } from "@tcc/db";
import { sql } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import { preparedPerHandle } from "../db/prepared";
import type { EntryView } from "./entry-query";
import { toView } from "./entry-query";
import { compareTagKeys, uniqueTagNames } from "./tag-names";

/** A create of the common shape: no topic, no files (tags or not). */
export interface PlainCreate {
  userId: string;
  title: string;
  content: string;
  /** ISO 8601; absent means now. */
  occurredAt?: string;
  tags: string[];
}

export interface Created {
  view: EntryView;
  /** False when a tag created concurrently was neither inserted nor seen: see insertEntryWithTags. */
  complete: boolean;
}

const p = (name: string) => sql.placeholder(name);

/**
 * Several creates, of one user or many, as one statement: the entries, the batch's new tags
 * (one row per user and key however many entries name it), and the links. The same parts as
 * the single statement's (entry-create.ts), keyed by user. `wanted` is inserted in `ord`, the
 * order of (user, key) every batch uses, so two batches creating the same new tags of several
 * users wait for each other instead of deadlocking; within one user it is uniqueTagNames's order,
 * the one of every other path that inserts tags.
 */
const batchStatement = sql`
  with input as (
    select * from jsonb_to_recordset(${p("entries")}::jsonb) as x(id uuid, u uuid, title text, content text, at timestamptz)
  ),
  e as (
    insert into entries (id, user_id, title, content, occurred_at)
    select id, u, title, content, coalesce(at, now()) from input
    returning id, title, content, topic_id, occurred_at, created_at, updated_at, deleted_at
  ),
  wanted as (select * from jsonb_to_recordset(${p("tags")}::jsonb) as w(id uuid, u uuid, name text, key text, ord int)),
  created as (
    insert into tags (id, user_id, name, name_key) select id, u, name, key from wanted order by ord
    on conflict do nothing returning id, user_id, name, name_key
  ),
  found as (
    select id, user_id, name, name_key from created
    union all
    select t.id, t.user_id, t.name, t.name_key from tags t join wanted w on t.user_id = w.u and t.name_key = w.key
  ),
  linked as (
    insert into entry_tags (user_id, entry_id, tag_id)
    select l.u, e.id, found.id
    from jsonb_to_recordset(${p("links")}::jsonb) as l(e uuid, u uuid, key text)
      join e on e.id = l.e
      join found on found.user_id = l.u and found.name_key = l.key
    returning entry_id, tag_id
  ),
  tagged as (
    select linked.entry_id, array_agg(found.name order by found.name_key) as names, count(*)::int as n
    from linked join found on found.id = linked.tag_id
    group by linked.entry_id
  )
  select e.id, e.title, e.content, e.topic_id as "topicId", e.occurred_at as "occurredAt", e.created_at as "createdAt",
    e.updated_at as "updatedAt", e.deleted_at as "deletedAt",
    coalesce(tagged.names, '{}') as tags, '{}'::text[] as "fileIds", coalesce(tagged.n, 0) as "linkedCount"
  from e left join tagged on tagged.entry_id = e.id`;

const query = new PgDialect().sqlToQuery(batchStatement);
const prepared = preparedPerHandle((db: Drizzle) => db._.session.prepareQuery(query, undefined, "entry_create_batch", false));

interface NewTag {
  id: string;
  u: string;
  name: string;
  key: string;
}

// The one order of new tags across users: by user id, then uniqueTagNames's key order.
const byUserThenKey = (a: NewTag, b: NewTag) => (a.u < b.u ? -1 : a.u > b.u ? 1 : compareTagKeys(a, b));

/**
 * Inserts the creates in one statement and answers them in their order. Throws if the
 * statement fails (nothing of the batch is written then); the caller decides what to retry.
 */
export async function insertBatch(db: Drizzle, creates: readonly PlainCreate[]): Promise<Created[]> {
  const ids = creates.map(() => Bun.randomUUIDv7());
  const newTags = new Map<string, NewTag>();
  const links: { e: string; u: string; key: string }[] = [];
  const wantedCounts: number[] = [];
  creates.forEach((c, i) => {
    const names = uniqueTagNames(c.tags);
    wantedCounts.push(names.length);
    for (const { name, key } of names) {
      // The first spelling in the batch names a new tag, as if the creates had run in turn.
      const both = `${c.userId} ${key}`;
      if (!newTags.has(both)) newTags.set(both, { id: Bun.randomUUIDv7(), u: c.userId, name, key });
      links.push({ e: ids[i] as string, u: c.userId, key });
    }
  });
  const result = await prepared(db).execute({
    entries: JSON.stringify(
      creates.map((c, i) => ({ id: ids[i], u: c.userId, title: c.title, content: c.content, at: c.occurredAt ?? null })),
    ),
    tags: JSON.stringify([...newTags.values()].sort(byUserThenKey).map((t, ord) => ({ ...t, ord }))),
    links: JSON.stringify(links),
  });
  const byId = new Map(rowsOf<Parameters<typeof toView>[0] & { linkedCount: number }>(result).map((row) => [row.id, row]));
  return ids.map((id, i) => {
    const row = byId.get(id);
    if (!row) throw new Error(`entry_create_batch returned no row for entry ${id}`);
    return { view: toView(row), complete: row.linkedCount === wantedCounts[i] };
  });
}
