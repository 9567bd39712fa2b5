import { rowsOf } from "@tcc/db";
import { sql } from "drizzle-orm";
import type { Ctx } from "../services";
import type { EntryView } from "./entry-query";
import { toView } from "./entry-query";
import { uniqueTagNames } from "./tag-names";

export interface NewEntry {
  title: string;
  content: string;
  topicId: string | null;
  /** ISO 8601; absent means now. */
  occurredAt?: string;
  tags: string[];
}

/**
 * Creates an entry with its tags in one SQL statement (one round trip, atomic without an
 * explicit transaction): the topic check, the entry, missing tags, and the links to all of
 * them. Returns null when the topic is not the user's (nothing is written then).
 *
 * A tag created by a concurrent request of the same user after this statement's snapshot is
 * neither inserted (conflict) nor seen (snapshot); the caller detects the shortfall by
 * comparing tag counts and falls back to the transactional path.
 */
export async function insertEntryWithTags(ctx: Ctx, input: NewEntry): Promise<{ view: EntryView; complete: boolean } | null> {
  const names = uniqueTagNames(input.tags);
  const wanted = JSON.stringify(names.map((name) => ({ id: Bun.randomUUIDv7(), name })));
  const lower = JSON.stringify(names.map((n) => n.toLowerCase()));
  const u = ctx.userId;
  const result = await ctx.s.db.primary.execute(sql`
    with e as (
      insert into entries (id, user_id, title, content, topic_id, occurred_at)
      select ${Bun.randomUUIDv7()}, ${u}, ${input.title}, ${input.content}, ${input.topicId}::uuid, coalesce(${input.occurredAt ?? null}::timestamptz, now())
      where ${input.topicId}::uuid is null or exists (select 1 from topics where user_id = ${u} and id = ${input.topicId}::uuid)
      returning id, title, content, topic_id, occurred_at, created_at, updated_at, deleted_at
    ),
    wanted as (select * from jsonb_to_recordset(${wanted}::jsonb) as w(id uuid, name text)),
    created as (
      insert into tags (id, user_id, name) select id, ${u}, name from wanted where exists (select 1 from e)
      on conflict do nothing returning id, name
    ),
    found as (
      select id, name from created
      union all
      select t.id, t.name from tags t where t.user_id = ${u} and lower(t.name) in (select jsonb_array_elements_text(${lower}::jsonb))
    ),
    linked as (insert into entry_tags (user_id, entry_id, tag_id) select ${u}, e.id, found.id from e, found returning tag_id)
    select e.id, e.title, e.content, e.topic_id as "topicId", e.occurred_at as "occurredAt", e.created_at as "createdAt",
      e.updated_at as "updatedAt", e.deleted_at as "deletedAt",
      coalesce((select array_agg(name order by lower(name)) from found), '{}') as tags,
      (select count(*) from linked)::int as "linkedCount"
    from e`);
  const [row] = rowsOf<Parameters<typeof toView>[0] & { linkedCount: number }>(result);
  if (!row) return null;
  return { view: toView(row), complete: row.linkedCount === names.length };
}
