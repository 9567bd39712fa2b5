import type { Ctx, Services } from "../context";
import { recentWriteKey } from "../lib/write-marks";
import { onCommit } from "./transaction";

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
  const { db, cache, kv, gate, env } = ctx.s;
  const { userId } = ctx;
  db.markWrite(userId);
  const window = env.DB_READ_YOUR_WRITES_MS;
  // With Redis: version and mark in one script, shared by the writes of this turn. Else the KV's way.
  const version = await gate.recordWrite(userId, window);
  if (version !== null) cache.adoptOwnBump(userId, version);
  else await Promise.all([cache.bump(userId), window > 0 ? kv.set(recentWriteKey(userId), "1", window / 1000) : undefined]);
}

/** Called once per authenticated request: adopts another process's recent-write mark. */
export function adoptRecentWrite(s: Services, userId: string, marked: boolean): void {
  if (marked) s.db.markWrite(userId);
}
