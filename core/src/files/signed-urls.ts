import { createHmac, timingSafeEqual } from "node:crypto";
import type { Call, SystemCtx } from "../context";
import { AppError } from "../errors";
import { findFile, findSharedFile } from "./files";
import type { DerivativeSize } from "./images/derivatives";

export const MAX_URL_TTL_S = 7 * 24 * 3600;

/**
 * A derivative's signature names its size, so a link to a (location-free) thumbnail cannot be
 * edited into a link to the original. Links to the original keep the message they always had.
 */
const sign = (secret: string, id: string, exp: number, size?: DerivativeSize) =>
  createHmac("sha256", secret)
    .update(size === undefined ? `file:${id}:${exp}` : `file:${id}:${exp}:${size}`)
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

/** The signed URL for `exp` exactly, without an owner check: for callers that already know the file is shareable (a gallery's items). */
export function signedFileUrl({
  ctx: { s },
  input: { id, exp, size },
}: Call<{ id: string; exp: number; size?: DerivativeSize }, SystemCtx>): string {
  const path = `/v1/public/files/${id}?exp=${exp}${size === undefined ? "" : `&size=${size}`}&sig=${sign(s.fileUrlSecret, id, exp, size)}`;
  return `${s.env.PUBLIC_URL?.replace(/\/$/, "") ?? ""}${path}`;
}

/** Checks a signed URL; a bad signature and an expired link are both 403, told apart by the message. */
export async function openSignedFile({
  ctx,
  input: { id, exp, sig, size },
}: Call<{ id: string; exp: number; sig: string; size?: DerivativeSize }, SystemCtx>) {
  const { s } = ctx;
  const expected = Buffer.from(sign(s.fileUrlSecret, id, exp, size));
  const given = Buffer.from(sig);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new AppError("FORBIDDEN", "Invalid link signature");
  if (exp * 1000 <= s.clock().getTime()) throw new AppError("FORBIDDEN", "This link has expired");
  return findSharedFile({ ctx, input: { id } });
}
