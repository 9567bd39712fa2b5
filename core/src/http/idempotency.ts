import { createHash } from "node:crypto";
import { schema } from "@tcc/db";
import { and, eq } from "drizzle-orm";
import type { Ctx } from "../context";
import { AppError } from "../errors";

interface Outcome {
  status: number;
  body: unknown;
}

/**
 * Honours `Idempotency-Key` on creating POSTs: the first outcome is stored and replayed for
 * retries with the same key and body. A claim row (status 0) is written first, so a retry
 * racing the original gets 409 instead of creating a second object.
 */
export async function idempotent(
  ctx: Ctx,
  key: string | undefined,
  route: string,
  input: unknown,
  run: () => Promise<Outcome>,
): Promise<Outcome> {
  if (!key) return run();
  const db = ctx.s.db.primary;
  const t = schema.idempotencyKeys;
  const requestHash = createHash("sha256").update(route).update(JSON.stringify(input)).digest("hex");
  const claimed = await db
    .insert(t)
    .values({ userId: ctx.userId, key, requestHash, status: 0, body: {} })
    .onConflictDoNothing()
    .returning({ key: t.key });
  const where = and(eq(t.userId, ctx.userId), eq(t.key, key));
  if (claimed.length === 0) {
    const [prior] = await db.select().from(t).where(where);
    if (!prior || prior.requestHash !== requestHash)
      throw new AppError("CONFLICT", "Idempotency-Key was already used with a different request");
    if (prior.status === 0) throw new AppError("CONFLICT", "A request with this Idempotency-Key is still in progress");
    return { status: prior.status, body: prior.body };
  }
  try {
    const outcome = await run();
    await db
      .update(t)
      .set({ status: outcome.status, body: outcome.body as object })
      .where(where);
    return outcome;
  } catch (err) {
    // A failed attempt must not block a corrected retry.
    await db.delete(t).where(where);
    throw err;
  }
}
