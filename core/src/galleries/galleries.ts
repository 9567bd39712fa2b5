import { randomBytes } from "node:crypto";
import { type Drizzle, schema } from "@tcc/db";
import { and, asc, desc, eq, inArray, isNull, sql } from "drizzle-orm";
import { hashPassword } from "../auth/passwords";
import type { Call, Ctx } from "../context";
import { afterTimestamp, timestampCursorValue } from "../db/keyset";
import { isForeignKeyViolation } from "../db/pg-errors";
import { type InTransaction, withTransaction } from "../db/transaction";
import { wrote } from "../db/wrote";
import { AppError, notFound } from "../errors";
import { encodeCursor } from "../lib/cursor";
import { slugsBumped } from "./slug-cache";

const g = schema.galleries;
const gi = schema.galleryItems;
const f = schema.files;
type GalleryRow = typeof schema.galleries.$inferSelect;
type Visibility = GalleryRow["visibility"];

export interface GalleryView {
  id: string;
  title: string;
  description: string | null;
  slug: string;
  visibility: Visibility;
  coverFileId: string | null;
  hasPassword: boolean;
  expiresAt: string | null;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface GalleryItemView {
  id: string;
  fileId: string;
  caption: string | null;
  position: number;
  file: { id: string; mime: string; size: number; name: string | null };
}

export interface GalleryInput {
  title: string;
  description?: string | null;
  visibility?: Visibility;
  password?: string | null;
  expiresAt?: string | null;
}

export interface GalleryPatch extends Partial<GalleryInput> {
  coverFileId?: string | null;
}

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

const toView = (r: GalleryRow): GalleryView => ({
  id: r.id,
  title: r.title,
  description: r.description ?? null,
  slug: r.slug,
  visibility: r.visibility,
  coverFileId: r.coverFileId ?? null,
  hasPassword: r.passwordHash !== null,
  expiresAt: iso(r.expiresAt),
  version: r.version,
  createdAt: new Date(r.createdAt).toISOString(),
  updatedAt: new Date(r.updatedAt).toISOString(),
});

// 128 random bits: an unlisted gallery is only as private as its slug is unguessable.
const newSlug = () => randomBytes(16).toString("base64url");

const mine = (ctx: Ctx, id: string) => and(eq(g.userId, ctx.userId), eq(g.id, id), isNull(g.deletedAt));

export async function createGallery({ ctx, input }: Call<GalleryInput>): Promise<GalleryView> {
  const [row] = await ctx.s.db.primary
    .insert(g)
    .values({
      userId: ctx.userId,
      title: input.title,
      description: input.description ?? null,
      slug: newSlug(),
      visibility: input.visibility ?? "private",
      passwordHash: input.password ? await hashPassword(input.password) : null,
      expiresAt: input.expiresAt ? new Date(input.expiresAt) : null,
    })
    .returning();
  await wrote(ctx);
  return toView(row as GalleryRow);
}

/** Newest first. */
export async function listGalleries({ ctx, input: q }: Call<{ limit: number; cursor?: string }>) {
  const rows = await ctx.s.db
    .read(ctx.userId)
    .select({ row: g, cursorValue: timestampCursorValue(g.createdAt) })
    .from(g)
    .where(and(eq(g.userId, ctx.userId), isNull(g.deletedAt), afterTimestamp(q.cursor, g.createdAt, g.id, "desc")))
    .orderBy(desc(g.createdAt), desc(g.id))
    .limit(q.limit + 1);
  const items = rows.slice(0, q.limit);
  const last = rows.length > q.limit ? items[items.length - 1] : undefined;
  return { items: items.map((r) => toView(r.row)), nextCursor: last ? encodeCursor({ v: last.cursorValue, id: last.row.id }) : null };
}

/** A gallery's items in order; items whose file was deleted drop out. A query helper: callers pick the handle (replica, primary, transaction). */
export async function itemsOf(db: Drizzle, galleryId: string): Promise<GalleryItemView[]> {
  const rows = await db
    .select({ id: gi.id, caption: gi.caption, position: gi.position, fileId: f.id, mime: f.mime, size: f.size, name: f.originalName })
    .from(gi)
    .innerJoin(f, and(eq(f.id, gi.fileId), isNull(f.deletedAt)))
    .where(eq(gi.galleryId, galleryId))
    .orderBy(asc(gi.position), asc(gi.createdAt), asc(gi.id));
  return rows.map((r) => ({
    id: r.id,
    fileId: r.fileId,
    caption: r.caption ?? null,
    position: r.position,
    file: { id: r.fileId, mime: r.mime, size: r.size, name: r.name ?? null },
  }));
}

export async function getGallery({ ctx, input: { id } }: Call<{ id: string }>): Promise<GalleryView & { items: GalleryItemView[] }> {
  const db = ctx.s.db.read(ctx.userId);
  const [row] = await db.select().from(g).where(mine(ctx, id));
  if (!row) throw notFound("Gallery");
  return { ...toView(row), items: await itemsOf(db, id) };
}

/**
 * Bumps the version of one of the caller's galleries (and locks its row until the transaction
 * ends, which also serialises item appends), applying `set`; a missing gallery is 404.
 */
export async function bump({
  ctx,
  input: { id, set = {} },
}: Call<{ id: string; set?: Partial<typeof g.$inferInsert> }, InTransaction>): Promise<GalleryRow> {
  const [row] = await ctx.tx.db
    .update(g)
    .set({ ...set, version: sql`${g.version} + 1`, updatedAt: ctx.s.clock() })
    .where(mine(ctx, id))
    .returning();
  if (!row) throw notFound("Gallery");
  slugsBumped({ ctx, input: { slugs: [row.slug] } });
  return row;
}

/** Galleries showing this file get a new version, so their cached public pages roll over. */
export async function bumpGalleriesShowing({ ctx, input: { fileId } }: Call<{ fileId: string }, InTransaction>): Promise<void> {
  const tx = ctx.tx.db;
  const { userId } = ctx;
  const showing = tx
    .select({ id: gi.galleryId })
    .from(gi)
    .where(and(eq(gi.userId, userId), eq(gi.fileId, fileId)));
  const rows = await tx
    .update(g)
    .set({ version: sql`${g.version} + 1`, updatedAt: sql`now()` })
    .where(and(eq(g.userId, userId), inArray(g.id, showing)))
    .returning({ slug: g.slug });
  slugsBumped({ ctx, input: { slugs: rows.map((r) => r.slug) } });
}

export async function updateGallery({ ctx, input: { id, patch } }: Call<{ id: string; patch: GalleryPatch }>): Promise<GalleryView> {
  const set: Partial<typeof g.$inferInsert> = {};
  if (patch.title !== undefined) set.title = patch.title;
  if (patch.description !== undefined) set.description = patch.description;
  if (patch.visibility !== undefined) set.visibility = patch.visibility;
  if (patch.expiresAt !== undefined) set.expiresAt = patch.expiresAt === null ? null : new Date(patch.expiresAt);
  if (patch.password !== undefined) set.passwordHash = patch.password === null ? null : await hashPassword(patch.password);
  if (patch.coverFileId !== undefined) set.coverFileId = patch.coverFileId;
  const notACover = () =>
    new AppError("VALIDATION_FAILED", "The cover must be one of the gallery's files", [
      { path: "coverFileId", message: "not a file in this gallery" },
    ]);
  const row = await withTransaction(ctx, async (ctx) => {
    // A cover naming no file at all fails the foreign key: the same 400 as any other non-member.
    const updated = await bump({ ctx, input: { id, set } }).catch((err) => {
      throw isForeignKeyViolation(err) ? notACover() : err;
    });
    if (patch.coverFileId) {
      const [item] = await ctx.tx.db
        .select({ id: gi.id })
        .from(gi)
        .where(and(eq(gi.galleryId, id), eq(gi.fileId, patch.coverFileId)))
        .limit(1);
      if (!item) throw notACover();
    }
    await wrote(ctx);
    return updated;
  });
  return toView(row);
}

export async function deleteGallery({ ctx, input: { id } }: Call<{ id: string }>): Promise<void> {
  await withTransaction(ctx, async (ctx) => {
    await bump({ ctx, input: { id, set: { deletedAt: ctx.s.clock() } } });
    await wrote(ctx);
  });
}
