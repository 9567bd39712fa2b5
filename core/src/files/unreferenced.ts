import { schema } from "@tcc/db";
import { and, eq, inArray } from "drizzle-orm";
import type { Call, Ctx } from "../context";
import { withTransaction } from "../db/transaction";

const f = schema.files;

/**
 * Deletes original objects of one user (`users/<user>/<sha256>`, content-addressed, so a new
 * upload of the same bytes claims the same key) and staging objects of their uploads, when no
 * row names them and no upload of theirs is in flight. Returns the keys deleted.
 *
 * An upload writes its bytes, moves them to the key and only then commits its row, holding a
 * quota reservation from before the first byte until after that commit. This runs under the lock
 * reserveQuota takes on the user's row, so no upload can start meanwhile, and gives up while any
 * reservation exists (expired ones too: their upload may still be between bytes and row): an
 * object it finds unreferenced cannot be claimed by a row about to commit. What it leaves is the
 * orphan sweep's to remove later. `olderThan`: an object written since then is left too.
 */
export async function deleteUnreferencedObjects({
  ctx,
  input: { originals, staging = [], olderThan },
}: Call<{ originals: { key: string; sha256: string }[]; staging?: string[]; olderThan?: Date }>): Promise<string[]> {
  if (originals.length === 0 && staging.length === 0) return [];
  return withTransaction(ctx, async (ctx) => {
    const tx = ctx.tx.db;
    await tx.select({ id: schema.users.id }).from(schema.users).where(eq(schema.users.id, ctx.userId)).for("no key update");
    const r = schema.storageReservations;
    const [inFlight] = await tx.select({ id: r.id }).from(r).where(eq(r.userId, ctx.userId)).limit(1);
    if (inFlight) return [];
    const named = originals.length
      ? await tx
          .select({ sha256: f.sha256 })
          .from(f)
          .where(
            and(
              eq(f.userId, ctx.userId),
              inArray(
                f.sha256,
                originals.map((o) => o.sha256),
              ),
            ),
          )
      : [];
    const kept = new Set(named.map((n) => n.sha256));
    const doomed = [...originals.filter((o) => !kept.has(o.sha256)).map((o) => o.key), ...staging];
    const gone: string[] = [];
    for (const key of doomed) {
      if (olderThan && !(await writtenBefore(ctx, key, olderThan))) continue;
      await ctx.s.storage.delete(key);
      gone.push(key);
    }
    return gone;
  });
}

/** Whether the object is missing or was last written before `when` (a listing may be minutes old by now). */
async function writtenBefore(ctx: Ctx, key: string, when: Date): Promise<boolean> {
  const info = await ctx.s.storage.head(key);
  return !info?.lastModified || info.lastModified <= when;
}
