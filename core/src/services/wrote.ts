import type { Ctx } from "../services";

/** After any write: this user's reads go to the primary for a while and their cache is stale. */
export async function wrote(ctx: Ctx): Promise<void> {
  ctx.s.db.markWrite(ctx.userId);
  await ctx.s.cache.bump(ctx.userId);
}
