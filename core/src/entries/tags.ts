import { type Drizzle, schema } from "@tcc/db";
import { and, eq, inArray, sql } from "drizzle-orm";
import type { Call } from "../context";
import { isUniqueViolation } from "../db/pg-errors";
import { withTransaction } from "../db/transaction";
import { wrote } from "../db/wrote";
import { AppError, notFound } from "../errors";
import { displayName, nameKey } from "../lib/name-key";

const t = schema.tags;
const et = schema.entryTags;

export interface TagView {
  id: string;
  name: string;
  entryCount: number;
  createdAt: string;
}

// Entries in the trash do not count: the number is what a tag filter on the entry list would show.
// The outer columns are spelled out: Drizzle leaves columns unqualified in a one-table select,
// and a bare "id" inside the subquery would resolve to the inner tables.
const tagColumns = {
  id: t.id,
  name: t.name,
  createdAt: t.createdAt,
  entryCount: sql<number>`(select count(*) from entry_tags et join entries e on e.id = et.entry_id
    where et.user_id = "tags"."user_id" and et.tag_id = "tags"."id" and e.deleted_at is null)::int`,
};

const toView = (r: { id: string; name: string; createdAt: Date; entryCount: number }): TagView => ({
  id: r.id,
  name: r.name,
  entryCount: Number(r.entryCount),
  createdAt: new Date(r.createdAt).toISOString(),
});

async function readTag(db: Drizzle, userId: string, id: string): Promise<TagView | null> {
  const [row] = await db
    .select(tagColumns)
    .from(t)
    .where(and(eq(t.userId, userId), eq(t.id, id)));
  return row ? toView(row) : null;
}

/** All the user's tags, alphabetically regardless of case. */
export async function listTags({ ctx }: Call): Promise<TagView[]> {
  return ctx.s.cache.getOrLoad(ctx, "tags", "", async () => {
    const rows = await ctx.s.db.read(ctx.userId).select(tagColumns).from(t).where(eq(t.userId, ctx.userId)).orderBy(t.nameKey, t.id);
    return rows.map(toView);
  });
}

/** Renames a tag; changing only its case is allowed, taking another tag's name is not. */
export async function renameTag({ ctx, input: { id, name } }: Call<{ id: string; name: string }>): Promise<TagView> {
  let row: { id: string } | undefined;
  try {
    [row] = await ctx.s.db.primary
      .update(t)
      .set({ name: displayName(name), nameKey: nameKey(name) })
      .where(and(eq(t.userId, ctx.userId), eq(t.id, id)))
      .returning({ id: t.id });
  } catch (err) {
    // The unique index on (user_id, name_key) decides, so two concurrent renames cannot both win.
    if (isUniqueViolation(err)) {
      throw new AppError("CONFLICT", `A tag named "${name}" already exists; merge this tag into it instead (POST /v1/tags/{id}/merge)`);
    }
    throw err;
  }
  if (!row) throw notFound("Tag");
  await wrote(ctx);
  return (await readTag(ctx.s.db.primary, ctx.userId, id)) as TagView;
}

/** Moves every entry of tag `id` to tag `into`, then deletes `id`. Returns `into` with its new count. */
export async function mergeTag({ ctx, input: { id, into } }: Call<{ id: string; into: string }>): Promise<TagView> {
  if (id === into) {
    throw new AppError("VALIDATION_FAILED", "Cannot merge a tag into itself", [
      { path: "into", message: "must differ from the tag being merged" },
    ]);
  }
  const view = await withTransaction(ctx, async (ctx) => {
    const tx = ctx.tx.db;
    // Locking both tags makes a concurrent tagging of `id` either finish before the move or fail
    // on the deleted tag, rather than be silently dropped by the cascade.
    const found = await tx
      .select({ id: t.id })
      .from(t)
      .where(and(eq(t.userId, ctx.userId), inArray(t.id, [id, into])))
      .for("update");
    if (found.length !== 2) throw notFound("Tag");
    await tx
      .insert(et)
      .select(
        tx
          .select({ userId: et.userId, entryId: et.entryId, tagId: sql<string>`${into}::uuid`.as("tag_id") })
          .from(et)
          .where(and(eq(et.userId, ctx.userId), eq(et.tagId, id))),
      )
      .onConflictDoNothing();
    // entry_tags rows of `id` go with it (on delete cascade).
    await tx.delete(t).where(and(eq(t.userId, ctx.userId), eq(t.id, id)));
    await wrote(ctx);
    return readTag(tx, ctx.userId, into);
  });
  return view as TagView;
}

/** Deletes the tag; entries keep existing and simply lose it. */
export async function deleteTag({ ctx, input: { id } }: Call<{ id: string }>): Promise<void> {
  const [row] = await ctx.s.db.primary
    .delete(t)
    .where(and(eq(t.userId, ctx.userId), eq(t.id, id)))
    .returning({ id: t.id });
  if (!row) throw notFound("Tag");
  await wrote(ctx);
}
