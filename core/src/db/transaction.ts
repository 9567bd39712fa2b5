import type { Ctx, SystemCtx, Transaction } from "../context";

type Hook = Parameters<Transaction["afterCommit"]>[0];

/** A ctx inside withTransaction. */
export type InTransaction<C extends SystemCtx = Ctx> = C & { tx: Transaction };

/**
 * Runs `fn` in a transaction on the primary, or inside the one `ctx` already has (it joins:
 * nothing commits until the outermost one does). Once that commits, the after-commit hooks
 * run: cache invalidation, read-your-writes marks, job enqueues, so a write cannot announce
 * what was then rolled back, nor forget to announce what committed.
 */
export async function withTransaction<C extends SystemCtx, T>(ctx: C, fn: (ctx: InTransaction<C>) => Promise<T>): Promise<T> {
  if (ctx.tx) return fn(ctx as InTransaction<C>);
  const hooks: Hook[] = [];
  const keys = new Set<string>();
  const afterCommit = (hook: Hook, once?: string) => {
    if (once !== undefined) {
      if (keys.has(once)) return;
      keys.add(once);
    }
    hooks.push(hook);
  };
  const result = await ctx.s.db.primary.transaction((db) => fn({ ...ctx, tx: { db, afterCommit } }));
  for (const hook of hooks) await hook();
  return result;
}

/** Runs `effect` now, or, inside a transaction, once it has committed (dropped if `once` was already queued). */
export async function onCommit(ctx: SystemCtx, effect: () => Promise<unknown>, once?: string): Promise<void> {
  if (ctx.tx) ctx.tx.afterCommit(effect, once);
  else await effect();
}

/** The handle for writes and for reads that must see them: the open transaction, else the primary. */
export const primaryDb = (ctx: SystemCtx) => ctx.tx?.db ?? ctx.s.db.primary;
