import { schema } from "@tcc/db";
import { and, eq, isNull, notInArray, sql } from "drizzle-orm";
import type { Call } from "../context";
import { withTransaction } from "../db/transaction";
import { wrote } from "../db/wrote";
import { AppError, notFound } from "../errors";
import { bump, type GalleryItemView, itemsOf } from "./galleries";

const g = schema.galleries;
const gi = schema.galleryItems;
const f = schema.files;

/**
 * Appends one of the caller's live files. The same file may appear more than once (a photo
 * can open and close a story); each appearance is its own item with its own caption.
 */
export async function addItem({
  ctx,
  input: { galleryId, ...input },
}: Call<{ galleryId: string; fileId: string; caption?: string | null }>): Promise<GalleryItemView> {
  return withTransaction(ctx, async (ctx) => {
    const tx = ctx.tx.db;
    await bump({ ctx, input: { id: galleryId } }); // locks the gallery, so concurrent appends get distinct positions
    const [file] = await tx
      .select({ id: f.id, mime: f.mime, size: f.size, name: f.originalName })
      .from(f)
      .where(and(eq(f.userId, ctx.userId), eq(f.id, input.fileId), isNull(f.deletedAt)));
    if (!file) throw notFound("File");
    const [row] = await tx
      .insert(gi)
      .values({
        userId: ctx.userId,
        galleryId,
        fileId: file.id,
        caption: input.caption ?? null,
        position: sql`(select coalesce(max(${gi.position}), -1) + 1 from ${gi} where ${gi.galleryId} = ${galleryId})`,
      })
      .returning();
    if (!row) throw new Error("insert returned no row");
    await wrote(ctx);
    return {
      id: row.id,
      fileId: file.id,
      caption: row.caption ?? null,
      position: row.position,
      file: { id: file.id, mime: file.mime, size: file.size, name: file.name ?? null },
    };
  });
}

export async function updateItem({
  ctx,
  input: { galleryId, itemId, caption },
}: Call<{ galleryId: string; itemId: string; caption: string | null }>): Promise<GalleryItemView> {
  const item = await withTransaction(ctx, async (ctx) => {
    const tx = ctx.tx.db;
    await bump({ ctx, input: { id: galleryId } });
    const [row] = await tx
      .update(gi)
      .set({ caption })
      .where(and(eq(gi.userId, ctx.userId), eq(gi.galleryId, galleryId), eq(gi.id, itemId)))
      .returning({ id: gi.id });
    if (!row) throw notFound("Item");
    const item = (await itemsOf(tx, galleryId)).find((i) => i.id === itemId);
    if (item) await wrote(ctx);
    return item;
  });
  if (!item) throw notFound("Item"); // its file was deleted meanwhile
  return item;
}

/** Removes an item; a cover no other item shows is cleared with it. */
export async function removeItem({ ctx, input: { galleryId, itemId } }: Call<{ galleryId: string; itemId: string }>): Promise<void> {
  await withTransaction(ctx, async (ctx) => {
    const tx = ctx.tx.db;
    await bump({ ctx, input: { id: galleryId } });
    const [row] = await tx
      .delete(gi)
      .where(and(eq(gi.userId, ctx.userId), eq(gi.galleryId, galleryId), eq(gi.id, itemId)))
      .returning({ id: gi.id });
    if (!row) throw notFound("Item");
    const remaining = tx.select({ fileId: gi.fileId }).from(gi).where(eq(gi.galleryId, galleryId));
    await tx
      .update(g)
      .set({ coverFileId: null })
      .where(and(eq(g.id, galleryId), notInArray(g.coverFileId, remaining)));
    await wrote(ctx);
  });
}

const wrongIds = (message: string) =>
  new AppError("VALIDATION_FAILED", "itemIds must list each of the gallery's items exactly once", [{ path: "itemIds", message }]);

/** Rewrites every position at once; `itemIds` must be exactly the gallery's items, in the new order. */
export async function reorder({
  ctx,
  input: { galleryId, itemIds },
}: Call<{ galleryId: string; itemIds: string[] }>): Promise<GalleryItemView[]> {
  return withTransaction(ctx, async (ctx) => {
    const tx = ctx.tx.db;
    await bump({ ctx, input: { id: galleryId } });
    const current = await tx.select({ id: gi.id }).from(gi).where(eq(gi.galleryId, galleryId));
    const known = new Set(current.map((r) => r.id));
    if (new Set(itemIds).size !== itemIds.length) throw wrongIds("contains duplicates");
    if (itemIds.length !== known.size || itemIds.some((id) => !known.has(id))) throw wrongIds("not the gallery's item ids");
    if (itemIds.length) {
      const order = sql.join(
        itemIds.map((id, i) => sql`(${id}::uuid, ${i}::int)`),
        sql`, `,
      );
      await tx.execute(
        sql`update ${gi} set position = o.pos from (values ${order}) as o(id, pos) where ${gi.id} = o.id and ${gi.galleryId} = ${galleryId}`,
      );
    }
    await wrote(ctx);
    return itemsOf(tx, galleryId);
  });
}
