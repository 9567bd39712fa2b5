import type { Ctx, Services } from "../context";
import { onCommit } from "./transaction";

/** Present in Redis for DB_READ_YOUR_WRITES_MS after a user's write, seen by every core process. */
export const recentWriteKey = (userId: string) => `tcc:w:${userId}`;

/**
 * After any write: this user's cached reads are void, and their reads go to the primary for
 * a while, on whichever core process serves them (so a cache refill never reads a replica
 * that has not replayed the write yet). Inside a transaction this waits for the commit, once
 * per transaction.
 */
export function wrote(ctx: Ctx): Promise<void> {
  return onCommit(ctx, () => markWritten(ctx), `wrote:${ctx.userId}`);
}

async function markWritten(ctx: Ctx): Promise<void> {
  const { db, cache, kv, env } = ctx.s;
  db.markWrite(ctx.userId);
  const window = env.DB_READ_YOUR_WRITES_MS;
  await Promise.all([cache.bump(ctx.userId), window > 0 ? kv.set(recentWriteKey(ctx.userId), "1", window / 1000) : undefined]);
}

/** Called once per authenticated request: adopts another process's recent-write mark. */
export function adoptRecentWrite(s: Services, userId: string, marked: boolean): void {
  if (marked) s.db.markWrite(userId);
}
