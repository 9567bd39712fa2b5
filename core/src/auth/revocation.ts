import { schema } from "@tcc/db";
import { and, eq, gt, isNotNull, max } from "drizzle-orm";
import type { Call, SystemCtx } from "../context";
import { denyKey } from "./identify";

const rt = schema.refreshTokens;

/**
 * Whether this login was logged out, from the database: what the request gate falls back to
 * when Redis (which holds the denylist) does not answer. Revocation fails closed: a logged-out
 * token is never accepted again because the cache is down.
 */
export async function revokedInDatabase({
  ctx: { s },
  input: { userId, sessionId },
}: Call<{ userId: string; sessionId: string }, SystemCtx>): Promise<boolean> {
  const [row] = await s.db.primary
    .select({ id: rt.id })
    .from(rt)
    .where(and(eq(rt.userId, userId), eq(rt.familyId, sessionId), isNotNull(rt.revokedAt)))
    .limit(1);
  return row !== undefined;
}

/**
 * Writes the denylist again from the database for every login revoked within one access-token
 * lifetime: at start-up and whenever Redis comes back, because a logout made while Redis was
 * down (or lost by a Redis restart without persistence) reached only the database.
 */
export async function redenyRecentLogouts({ ctx: { s } }: Call<undefined, SystemCtx>): Promise<number> {
  const now = s.clock().getTime();
  const ttlMs = s.tokens.ttlSeconds * 1000;
  const rows = await s.db.primary
    .select({ familyId: rt.familyId, revokedAt: max(rt.revokedAt) })
    .from(rt)
    .where(gt(rt.revokedAt, new Date(now - ttlMs)))
    .groupBy(rt.familyId);
  for (const { familyId, revokedAt } of rows) {
    const left = Math.ceil((ttlMs - (now - new Date(revokedAt ?? now).getTime())) / 1000);
    if (left > 0) await s.security.set(denyKey(familyId), "1", left);
  }
  return rows.length;
}
