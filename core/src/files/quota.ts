import { schema } from "@tcc/db";
import { and, eq, gt, lte, sql } from "drizzle-orm";
import type { Call, Ctx, SystemCtx } from "../context";
import { withTransaction } from "../db/transaction";
import { AppError } from "../errors";

const f = schema.files;
const r = schema.storageReservations;

/**
 * How long a reservation holds quota. An upload still streaming after this stops being counted
 * (its file row counts once written); a process that crashed mid-upload frees its room then.
 */
export const RESERVATION_TTL_MS = 60 * 60 * 1000;

export const quotaExceeded = (quota: number, used: number) =>
  new AppError("PAYLOAD_TOO_LARGE", `Upload would exceed your storage quota of ${quota} bytes`, { quotaBytes: quota, usedBytes: used });

export interface Reservation {
  id: string;
  bytes: number;
  /** Bytes counted against the quota when the reservation was taken (for the 413's details). */
  usedBefore: number;
}

/**
 * Bytes the user's quota counts: every file row, soft-deleted ones too (their bytes stay in
 * storage until purged), plus uploads in flight.
 */
async function counted(ctx: Ctx, now: Date): Promise<number> {
  const db = ctx.tx?.db ?? ctx.s.db.primary;
  const [files] = await db
    .select({ n: sql<string>`coalesce(sum(${f.size}), 0)` })
    .from(f)
    .where(eq(f.userId, ctx.userId));
  const [held] = await db
    .select({ n: sql<string>`coalesce(sum(${r.bytes}), 0)` })
    .from(r)
    .where(and(eq(r.userId, ctx.userId), gt(r.expiresAt, now)));
  return Number(files?.n ?? 0) + Number(held?.n ?? 0);
}

/**
 * Takes room for an upload before any byte is streamed: `declared` bytes (the request's
 * Content-Length) when known, else all the room left; never more than MAX_FILE_BYTES or the
 * room left. Reservations of one user are taken one at a time under a lock on their row, so
 * parallel uploads cannot all see the same free room. The upload is metered at the bytes
 * reserved, and `releaseQuota` must follow whatever happens.
 */
export async function reserveQuota({ ctx, input: { declared } }: Call<{ declared: number | null }>): Promise<Reservation> {
  const { env } = ctx.s;
  return withTransaction(ctx, async (ctx) => {
    const tx = ctx.tx.db;
    await tx.select({ id: schema.users.id }).from(schema.users).where(eq(schema.users.id, ctx.userId)).for("no key update");
    const now = ctx.s.clock();
    const used = await counted(ctx, now);
    const room = env.USER_QUOTA_BYTES - used;
    if (room <= 0) throw quotaExceeded(env.USER_QUOTA_BYTES, used);
    const bytes = Math.min(declared ?? Number.POSITIVE_INFINITY, env.MAX_FILE_BYTES, room);
    const [row] = await tx
      .insert(r)
      .values({ userId: ctx.userId, bytes, expiresAt: new Date(now.getTime() + RESERVATION_TTL_MS) })
      .returning({ id: r.id });
    return { id: (row as { id: string }).id, bytes, usedBefore: used };
  });
}

/** Gives a reservation's room back: after the file row is written (which then counts), or after a failure. */
export async function releaseQuota({ ctx, input: { id } }: Call<{ id: string }>): Promise<void> {
  await ctx.s.db.primary.delete(r).where(and(eq(r.userId, ctx.userId), eq(r.id, id)));
}

/** Drops reservations left by processes that died mid-upload (they already stopped counting). */
export async function sweepExpiredReservations({ ctx }: Call<undefined, SystemCtx>): Promise<number> {
  const gone = await ctx.s.db.primary.delete(r).where(lte(r.expiresAt, ctx.s.clock())).returning({ id: r.id });
  return gone.length;
}
