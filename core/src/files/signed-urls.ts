import { createHmac, timingSafeEqual } from "node:crypto";
import { schema } from "@tcc/db";
import { and, eq, gt, isNull, ne, or, sql } from "drizzle-orm";
import type { Call, SystemCtx } from "../context";
import { AppError, notFound } from "../errors";
import { findFile, findSharedFile } from "./files";
import type { DerivativeSize } from "./images/derivatives";

export const MAX_URL_TTL_S = 7 * 24 * 3600;

/**
 * A derivative's signature names its size, so a link to a (location-free) thumbnail cannot be
 * edited into a link to the original. Links to the original keep the message they always had.
 * A gallery's links name the gallery too, so they work only while it still shows the file.
 */
const sign = (secret: string, id: string, exp: number, size?: DerivativeSize, galleryId?: string) =>
  createHmac("sha256", secret)
    .update(`${size === undefined ? `file:${id}:${exp}` : `file:${id}:${exp}:${size}`}${galleryId ? `:gallery:${galleryId}` : ""}`)
    .digest("base64url");

/** A URL that serves the file (or one derivative) without a token until `exp` (unix seconds). */
export async function createFileUrl({
  ctx,
  input: { id, ttlSeconds, size },
}: Call<{ id: string; ttlSeconds: number; size?: DerivativeSize }>): Promise<{ url: string; expiresAt: string }> {
  await findFile({ ctx, input: { id } }); // only the owner may share, and another user's file is 404
  const exp = Math.floor(ctx.s.clock().getTime() / 1000) + ttlSeconds;
  return { url: signedFileUrl({ ctx, input: { id, exp, size } }), expiresAt: new Date(exp * 1000).toISOString() };
}

/**
 * The signed URL for `exp` exactly, without an owner check: for callers that already know the
 * file is shareable. A gallery's items pass `galleryId`: the link then stops working as soon as
 * the gallery goes private, expires, is deleted or drops the file, not only at `exp`.
 */
export function signedFileUrl({
  ctx: { s },
  input: { id, exp, size, galleryId },
}: Call<{ id: string; exp: number; size?: DerivativeSize; galleryId?: string }, SystemCtx>): string {
  const query = `exp=${exp}${size === undefined ? "" : `&size=${size}`}${galleryId ? `&g=${galleryId}` : ""}`;
  const path = `/v1/public/files/${id}?${query}&sig=${sign(s.fileUrlSecret, id, exp, size, galleryId)}`;
  return `${s.env.PUBLIC_URL?.replace(/\/$/, "") ?? ""}${path}`;
}

/** Checks a signed URL; a bad signature and an expired link are both 403, told apart by the message. */
export async function openSignedFile({
  ctx,
  input: { id, exp, sig, size, galleryId },
}: Call<{ id: string; exp: number; sig: string; size?: DerivativeSize; galleryId?: string }, SystemCtx>) {
  const { s } = ctx;
  const expected = Buffer.from(sign(s.fileUrlSecret, id, exp, size, galleryId));
  const given = Buffer.from(sig);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new AppError("FORBIDDEN", "Invalid link signature");
  if (exp * 1000 <= s.clock().getTime()) throw new AppError("FORBIDDEN", "This link has expired");
  if (galleryId && !(await galleryShows(ctx, galleryId, id))) throw notFound("File");
  return findSharedFile({ ctx, input: { id } });
}

/** Whether the gallery is still shared (not private, expired or deleted) and still holds the file. */
async function galleryShows({ s }: SystemCtx, galleryId: string, fileId: string): Promise<boolean> {
  const g = schema.galleries;
  const gi = schema.galleryItems;
  const [row] = await s.db.primary
    .select({ one: sql<number>`1` })
    .from(gi)
    .innerJoin(g, and(eq(g.id, gi.galleryId), eq(g.userId, gi.userId)))
    .where(
      and(
        eq(gi.galleryId, galleryId),
        eq(gi.fileId, fileId),
        isNull(g.deletedAt),
        ne(g.visibility, "private"),
        or(isNull(g.expiresAt), gt(g.expiresAt, s.clock())),
      ),
    )
    .limit(1);
  return row !== undefined;
}
