import { type Drizzle, rowsOf } from "@tcc/db";
import { sql } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import type { Call } from "../context";
import { preparedPerHandle } from "../db/prepared";
import { batchedPerTurn } from "../lib/per-turn";
import { type Created, insertBatch, type PlainCreate } from "./entry-create-batch";
import { toView } from "./entry-query";
import { uniqueTagNames } from "./tag-names";

export interface NewEntry {
  title: string;
  content: string;
  topicId: string | null;
  /** ISO 8601; absent means now. */
  occurredAt?: string;
  tags: string[];
  /** Deduplicated; each must be one of the user's live files. */
  fileIds: string[];
}

/** Which optional parts a create's statement has; each combination is its own prepared statement. */
interface Shape {
  files: boolean;
  topic: boolean;
  tags: boolean;
}

const p = (name: string) => sql.placeholder(name);

/**
 * The create statement for one shape, values as placeholders: drizzle builds its text once per
 * shape and handle instead of on every create (see db/prepared.ts).
 */
function createStatement({ files, topic, tags }: Shape) {
  const liveFiles = files
    ? sql`live_files as (
      select id, created_at from files
      where user_id = ${p("u")} and deleted_at is null and id in (select (jsonb_array_elements_text(${p("files")}::jsonb))::uuid)
    ),`
    : sql``;
  // Without a topic or files to check, the insert always happens.
  const checks = [
    topic ? sql`exists (select 1 from topics where user_id = ${p("u")} and id = ${p("topicId")}::uuid)` : undefined,
    files ? sql`(select count(*)::int from live_files) = ${p("fileCount")}::int` : undefined,
  ].filter((c) => c !== undefined);
  const where = checks.length ? sql` where ${sql.join(checks, sql` and `)}` : sql``;
  const tagParts = tags
    ? sql`,
    wanted as (select * from jsonb_to_recordset(${p("wanted")}::jsonb) as w(id uuid, name text, key text, ord int)),
    created as (
      insert into tags (id, user_id, name, name_key) select id, ${p("u")}, name, key from wanted${checks.length ? sql` where exists (select 1 from e)` : sql``} order by ord
      on conflict do nothing returning id, name, name_key
    ),
    found as (
      select id, name, name_key from created
      union all
      select t.id, t.name, t.name_key from tags t where t.user_id = ${p("u")} and t.name_key in (select key from wanted)
    ),
    linked as (insert into entry_tags (user_id, entry_id, tag_id) select ${p("u")}, e.id, found.id from e, found returning tag_id)`
    : sql``;
  const attached = files
    ? sql`,
    attached as (insert into entry_files (user_id, entry_id, file_id) select ${p("u")}, e.id, live_files.id from e, live_files)`
    : sql``;
  return sql`
    with ${liveFiles}
    e as (
      insert into entries (id, user_id, title, content, topic_id, occurred_at)
      select ${p("id")}::uuid, ${p("u")}::uuid, ${p("title")}::text, ${p("content")}::text, ${topic ? sql`${p("topicId")}::uuid` : sql`null`}, coalesce(${p("occurredAt")}::timestamptz, now())${where}
      returning id, title, content, topic_id, occurred_at, created_at, updated_at, deleted_at
    )${tagParts}${attached}
    select e.id, e.title, e.content, e.topic_id as "topicId", e.occurred_at as "occurredAt", e.created_at as "createdAt",
      e.updated_at as "updatedAt", e.deleted_at as "deletedAt",
      ${tags ? sql`coalesce((select array_agg(name order by name_key) from found), '{}')` : sql`'{}'::text[]`} as tags,
      ${files ? sql`coalesce((select array_agg(id::text order by created_at, id) from live_files), '{}')` : sql`'{}'::text[]`} as "fileIds",
      ${tags ? sql`(select count(*) from linked)::int` : sql`0`} as "linkedCount"
    from e`;
}

const dialect = new PgDialect();

/**
 * All eight shapes' statements, their text built once at start-up and prepared once per handle.
 * Drizzle prepares only its query builders publicly; this is the call their `.prepare()` makes.
 */
const statements = Array.from({ length: 8 }, (_, bits) => {
  const shape = { files: (bits & 4) !== 0, topic: (bits & 2) !== 0, tags: (bits & 1) !== 0 };
  const name = `entry_create_${Number(shape.files)}${Number(shape.topic)}${Number(shape.tags)}`;
  const query = dialect.sqlToQuery(createStatement(shape));
  return preparedPerHandle((db: Drizzle) => db._.session.prepareQuery(query, undefined, name, false));
});

const statementFor = (db: Drizzle, { files, topic, tags }: Shape) =>
  (statements[Number(files) * 4 + Number(topic) * 2 + Number(tags)] as (typeof statements)[number])(db);

/** One create as its own statement, of whichever shape it has. */
async function insertOne(db: Drizzle, userId: string, input: NewEntry): Promise<Created | null> {
  const names = uniqueTagNames(input.tags);
  const shape = { files: input.fileIds.length > 0, topic: input.topicId !== null, tags: names.length > 0 };
  const result = await statementFor(db, shape).execute({
    id: Bun.randomUUIDv7(),
    u: userId,
    title: input.title,
    content: input.content,
    topicId: input.topicId,
    occurredAt: input.occurredAt ?? null,
    files: JSON.stringify(input.fileIds),
    fileCount: input.fileIds.length,
    // ord keeps uniqueTagNames's order (by key) for the insert: see there why it matters.
    wanted: JSON.stringify(names.map(({ name, key }, ord) => ({ id: Bun.randomUUIDv7(), name, key, ord }))),
  });
  const [row] = rowsOf<Parameters<typeof toView>[0] & { linkedCount: number }>(result);
  if (!row) return null;
  return { view: toView(row), complete: row.linkedCount === names.length };
}

const asPlain = (create: PlainCreate): NewEntry => ({ ...create, topicId: null, fileIds: [] });

/**
 * Sends the plain creates of one turn. A lone one takes its single statement (what the batch
 * would cost it for nothing); several take one statement together, which saves each the
 * per-statement costs (PostgreSQL's executor start, snapshot, commit and backend wake-up,
 * postgres.js's per-query work) and turns a user's concurrent creates from one row lock each on
 * the user (MultiXacts) into one per batch. If the batch fails, nothing of it was written, and
 * each create is run again on its own: the one at fault (a user erased meanwhile) fails alone.
 */
async function sendPlainCreates(db: Drizzle, creates: readonly PlainCreate[]): Promise<(Created | Error)[]> {
  // `as Created`: a plain create has no topic or file check that could leave it unwritten.
  if (creates.length === 1) {
    const [create] = creates as [PlainCreate];
    return [(await insertOne(db, create.userId, asPlain(create))) as Created];
  }
  try {
    return await insertBatch(db, creates);
  } catch {
    return Promise.all(
      creates.map((c) =>
        insertOne(db, c.userId, asPlain(c)).then(
          (created) => created as Created,
          (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
        ),
      ),
    );
  }
}

// At most 64 creates per statement: wrk's 64 connections never fill one, and a turn of large
// entries stays one moderate message.
const plainCreates = preparedPerHandle((db: Drizzle) =>
  batchedPerTurn<PlainCreate, Created>((creates) => sendPlainCreates(db, creates), 64),
);

/**
 * Creates an entry with its tags and files in one SQL statement (one round trip, atomic without
 * an explicit transaction): the topic and file checks, the entry, missing tags, and the links to
 * all of them. Returns null when the topic or a file is not the user's live one (nothing is
 * written then; the caller finds out which). A file purged concurrently after the check fails the
 * file link's foreign key, and with it the whole statement.
 *
 * The statement holds only the parts this request needs: most creates name no topic and no
 * files, and the checks and links they would need cost PostgreSQL about a fifth of the
 * statement. Those plain creates that arrive in the same turn of the event loop, of any users,
 * share one statement (sendPlainCreates).
 *
 * A tag created by a concurrent request of the same user after this statement's snapshot is
 * neither inserted (conflict) nor seen (snapshot); the caller detects the shortfall by
 * comparing tag counts and falls back to the transactional path.
 */
export async function insertEntryWithTags({ ctx, input }: Call<NewEntry>): Promise<Created | null> {
  const db = ctx.s.db.primary;
  if (input.topicId !== null || input.fileIds.length > 0) return insertOne(db, ctx.userId, input);
  const { title, content, occurredAt, tags } = input;
  return plainCreates(db).load({ userId: ctx.userId, title, content, occurredAt, tags });
}
