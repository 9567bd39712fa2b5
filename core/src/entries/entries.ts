import { type Drizzle, schema } from "@tcc/db";
import { and, asc, desc, eq, isNotNull, isNull, sql } from "drizzle-orm";
import type { Call, Ctx } from "../context";
import { violatedForeignKey } from "../db/pg-errors";
import { preparedPerHandle } from "../db/prepared";
import { withTransaction } from "../db/transaction";
import { wrote } from "../db/wrote";
import { AppError, notFound } from "../errors";
import { encodeCursor } from "../lib/cursor";
import { batchedPerTurn } from "../lib/per-turn";
import { dropEmbeddings, entryWritten } from "../search/embeddings";
import { insertEntryWithTags } from "./entry-create";
import { assertFiles, setEntryFiles } from "./entry-files";
import {
  afterCursor,
  cursorValue,
  type EntryFilters,
  type EntryView,
  entryColumns,
  entryConditions,
  SORT_COLUMNS,
  type SortKey,
  toView,
} from "./entry-query";
import { setEntryTags } from "./tag-names";

const e = schema.entries;

export interface EntryInput {
  title: string;
  content?: string;
  topicId?: string | null;
  tags?: string[];
  /** Attached files; on update, replaces the set. */
  fileIds?: string[];
  occurredAt?: string;
}

export interface ListQuery extends EntryFilters {
  limit: number;
  cursor?: string;
  sort: SortKey;
  order: "asc" | "desc";
}

async function assertTopic(ctx: Ctx, topicId: string | null | undefined) {
  if (!topicId) return;
  const [t] = await ctx.s.db.primary
    .select({ id: schema.topics.id })
    .from(schema.topics)
    .where(and(eq(schema.topics.userId, ctx.userId), eq(schema.topics.id, topicId)));
  if (!t) throw notFound("Topic");
}

// A live entry by id: the uncached read of every entry route.
const entryById = preparedPerHandle((db) =>
  db
    .select(entryColumns)
    .from(e)
    .where(and(eq(e.userId, sql.placeholder("userId")), eq(e.id, sql.placeholder("id")), isNull(e.deletedAt)))
    .prepare("entry_by_id"),
);

// Live entries by (user, id) in one statement: the uncached reads of one turn (below).
const entriesByKeys = preparedPerHandle((db) =>
  db
    .select({ ...entryColumns, userId: e.userId })
    .from(e)
    .where(
      and(
        sql`(${e.userId}, ${e.id}) in (select k.u, k.id from jsonb_to_recordset(${sql.placeholder("keys")}::jsonb) as k(u uuid, id uuid))`,
        isNull(e.deletedAt),
      ),
    )
    .prepare("entries_by_keys"),
);

export interface EntryKey {
  userId: string;
  id: string;
}

/**
 * Uncached reads by id made in the same turn on the same handle go to PostgreSQL as one
 * statement: under load a turn holds many requests, and a statement of its own costs each a
 * round trip, a backend wake-up and postgres.js's per-query work (docs/benchmarks.md). A turn
 * with one read runs the single-row statement, so a quiet server pays nothing for this. Keyed
 * by user as well as id, so a row answers only its owner's request.
 */
const readsPerTurn = preparedPerHandle((db: Drizzle) =>
  batchedPerTurn(async (keys: readonly EntryKey[]): Promise<(EntryView | null)[]> => {
    if (keys.length === 1) return [await readNow(db, keys[0] as EntryKey)];
    const unique = new Map(keys.map((k) => [`${k.userId}/${k.id}`, { u: k.userId, id: k.id }]));
    const rows = await entriesByKeys(db).execute({ keys: JSON.stringify([...unique.values()]) });
    const found = new Map(rows.map((r) => [`${r.userId}/${r.id}`, toView(r)]));
    return keys.map((k) => found.get(`${k.userId}/${k.id}`) ?? null);
  }),
);

async function readNow(db: Drizzle, key: EntryKey): Promise<EntryView | null> {
  const [row] = await entryById(db).execute({ userId: key.userId, id: key.id });
  return row ? toView(row) : null;
}

/** A user's live entry, read on `db` with the other reads of this turn; null if not theirs or not live. */
export const readLiveEntry = (db: Drizzle, key: EntryKey): Promise<EntryView | null> => readsPerTurn(db).load(key);

/** The user's live entry, on the replica unless the user just wrote. */
const readOne = (ctx: Ctx, id: string, db: Drizzle = ctx.s.db.read(ctx.userId)) => readLiveEntry(db, { userId: ctx.userId, id });

/** The same inside a transaction, at once: waiting for the turn's batch would hold the transaction's locks longer. */
const readInTransaction = (ctx: Ctx, id: string, tx: Drizzle) => readNow(tx, { userId: ctx.userId, id });

export async function createEntry({ ctx, input }: Call<EntryInput>): Promise<EntryView> {
  const fileIds = [...new Set(input.fileIds ?? [])];
  let created: Awaited<ReturnType<typeof insertEntryWithTags>>;
  try {
    created = await insertEntryWithTags({
      ctx,
      input: {
        title: input.title,
        content: input.content ?? "",
        topicId: input.topicId ?? null,
        occurredAt: input.occurredAt,
        tags: input.tags ?? [],
        fileIds,
      },
    });
  } catch (err) {
    // A row the statement checked went away before its link (nothing was written): say which.
    const key = violatedForeignKey(err);
    if (key === undefined) throw err;
    if (key.endsWith("_users_id_fk")) throw new AppError("UNAUTHORIZED", "This account no longer exists");
    if (key.startsWith("entry_tags_tag_id"))
      throw new AppError("CONFLICT", "A tag of this entry was deleted meanwhile; nothing was written, try again");
    throw notFound("File");
  }
  if (!created) {
    // Nothing was written; name what was missing.
    await assertTopic(ctx, input.topicId);
    await assertFiles({ ctx, input: { fileIds } });
    throw notFound("Topic");
  }
  let view = created.view;
  if (!created.complete) {
    // A concurrent request created one of these tags mid-statement: link them the slow, sure way.
    view = (await withTransaction(ctx, async (ctx) => {
      await setEntryTags({ ctx, input: { entryId: view.id, names: input.tags ?? [] } });
      return readInTransaction(ctx, view.id, ctx.tx.db);
    })) as EntryView;
  }
  await wrote(ctx);
  await entryWritten({ ctx, input: view });
  return view;
}

export async function getEntry({ ctx, input: { id } }: Call<{ id: string }>): Promise<EntryView> {
  const view = await ctx.s.cache.getOrLoad(ctx, "entry", id, () => readOne(ctx, id));
  if (!view) throw notFound("Entry");
  return view;
}

export async function listEntries({ ctx, input: q }: Call<ListQuery>): Promise<{ items: EntryView[]; nextCursor: string | null }> {
  const load = async () => {
    const col = SORT_COLUMNS[q.sort];
    const after = afterCursor(q.cursor, q.sort, q.order);
    const dir = q.order === "desc" ? desc : asc;
    const rows = await ctx.s.db
      .read(ctx.userId)
      .select({ ...entryColumns, cursorValue: cursorValue(q.sort) })
      .from(e)
      .where(and(...entryConditions(ctx.userId, q), after))
      .orderBy(dir(col), dir(e.id))
      .limit(q.limit + 1);
    const items = rows.slice(0, q.limit);
    const last = rows.length > q.limit ? items[items.length - 1] : undefined;
    return { items: items.map(toView), nextCursor: last ? encodeCursor({ v: last.cursorValue, id: last.id }) : null };
  };
  // Only first pages are cached: they are what clients poll, and deep pages are rarely repeated.
  if (q.cursor) return load();
  return ctx.s.cache.getOrLoad(ctx, "entries", JSON.stringify(q), load);
}

export async function updateEntry({ ctx, input: { id, patch } }: Call<{ id: string; patch: Partial<EntryInput> }>): Promise<EntryView> {
  if (patch.topicId) await assertTopic(ctx, patch.topicId);
  const view = await withTransaction(ctx, async (ctx) => {
    const tx = ctx.tx.db;
    const set: Partial<typeof e.$inferInsert> = { updatedAt: ctx.s.clock() };
    if (patch.title !== undefined) set.title = patch.title;
    if (patch.content !== undefined) set.content = patch.content;
    if (patch.topicId !== undefined) set.topicId = patch.topicId;
    if (patch.occurredAt !== undefined) set.occurredAt = new Date(patch.occurredAt);
    const [row] = await tx
      .update(e)
      .set(set)
      .where(and(eq(e.userId, ctx.userId), eq(e.id, id), isNull(e.deletedAt)))
      .returning({ id: e.id });
    if (!row) return null;
    if (patch.tags !== undefined) await setEntryTags({ ctx, input: { entryId: id, names: patch.tags } });
    if (patch.fileIds !== undefined) await setEntryFiles({ ctx, input: { entryId: id, fileIds: patch.fileIds } });
    const view = (await readInTransaction(ctx, id, tx)) as EntryView;
    // Both wait for the commit.
    await wrote(ctx);
    if (patch.title !== undefined || patch.content !== undefined) await entryWritten({ ctx, input: view });
    return view;
  });
  if (!view) throw notFound("Entry");
  return view;
}

/** Moves the entry to the trash; restore brings it back, purge removes it for good. */
export async function deleteEntry({ ctx, input: { id } }: Call<{ id: string }>): Promise<void> {
  const [row] = await ctx.s.db.primary
    .update(e)
    .set({ deletedAt: ctx.s.clock() })
    .where(and(eq(e.userId, ctx.userId), eq(e.id, id), isNull(e.deletedAt)))
    .returning({ id: e.id });
  if (!row) throw notFound("Entry");
  // Trashed entries leave semantic search at once; restore embeds them again.
  await dropEmbeddings({ ctx, input: { entryId: id } });
  await wrote(ctx);
}

export async function restoreEntry({ ctx, input: { id } }: Call<{ id: string }>): Promise<EntryView> {
  const [row] = await ctx.s.db.primary
    .update(e)
    .set({ deletedAt: null, updatedAt: ctx.s.clock() })
    .where(and(eq(e.userId, ctx.userId), eq(e.id, id), isNotNull(e.deletedAt)))
    .returning({ id: e.id });
  if (!row) throw notFound("Deleted entry");
  await wrote(ctx);
  const view = (await readOne(ctx, id, ctx.s.db.primary)) as EntryView;
  await entryWritten({ ctx, input: view });
  return view;
}

export async function purgeEntry({ ctx, input: { id } }: Call<{ id: string }>): Promise<void> {
  const [row] = await ctx.s.db.primary
    .delete(e)
    .where(and(eq(e.userId, ctx.userId), eq(e.id, id)))
    .returning({ id: e.id });
  if (!row) throw notFound("Entry");
  await wrote(ctx);
}
