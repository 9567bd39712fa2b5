import { createHash } from "node:crypto";
import { z } from "@hono/zod-openapi";
import { schema } from "@tcc/db";
import { and, eq, lt, sql } from "drizzle-orm";
import type { Call } from "../context";
import { AppError } from "../errors";

/** The header of every creating POST; a retry with the same key and body gets the first outcome. */
export const IdempotencyHeader = z.object({ "idempotency-key": z.string().min(1).max(200).optional() });

export interface Outcome<S extends number, B> {
  status: S;
  body: B;
}

/**
 * Honours `Idempotency-Key` on creating POSTs: the first outcome is stored and replayed for
 * retries with the same key and body. A claim row (status 0) is written first, so a retry
 * racing the original gets 409 instead of creating a second object. A claim older than
 * STALE_CLAIM_S belongs to a process that died mid-request (no creating request runs that long):
 * one retry takes it over, instead of every retry getting 409 forever.
 */
export const STALE_CLAIM_S = 120;

export async function idempotent<S extends number, B>(
  { ctx, input }: Call<{ key: string | undefined; route: string; request: unknown }>,
  run: () => Promise<Outcome<S, B>>,
): Promise<Outcome<S, B>> {
  const { key, route, request } = input;
  if (!key) return run();
  const db = ctx.s.db.primary;
  const t = schema.idempotencyKeys;
  const requestHash = createHash("sha256").update(route).update(JSON.stringify(request)).digest("hex");
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
    if (prior.status !== 0) {
      // The stored outcome of this same route and request, so of the same types as `run`'s.
      return { status: prior.status as S, body: prior.body as B };
    }
    // One statement, so of several retries at once only one takes a stale claim over.
    const takenOver = await db
      .update(t)
      .set({ createdAt: sql`now()` })
      .where(and(where, eq(t.status, 0), lt(t.createdAt, sql`now() - make_interval(secs => ${STALE_CLAIM_S})`)))
      .returning({ key: t.key });
    if (takenOver.length === 0) throw new AppError("CONFLICT", "A request with this Idempotency-Key is still in progress");
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
