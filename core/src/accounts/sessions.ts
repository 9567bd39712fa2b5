import { rowsOf, schema } from "@tcc/db";
import { and, eq, inArray, isNull, sql } from "drizzle-orm";
import { apiKeyCacheKey } from "../auth/api-key-lookup";
import { denyKey } from "../auth/identify";
import { randomToken, sha256 } from "../auth/secrets";
import type { Call, SystemCtx } from "../context";
import { primaryDb, withTransaction } from "../db/transaction";
import { AppError, notFound } from "../errors";
import { audit, type ClientMeta } from "./audit";

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: "Bearer";
  expiresIn: number;
}

const inactive = () => new AppError("UNAUTHORIZED", "This account is suspended or deleted");

async function issue(ctx: SystemCtx, userId: string, familyId: string, meta: ClientMeta): Promise<TokenPair> {
  const { s } = ctx;
  const refreshToken = randomToken("tccr_");
  const expiresAt = new Date(s.clock().getTime() + s.env.REFRESH_TOKEN_TTL_S * 1000).toISOString();
  // Only for an active account, with its row locked FOR SHARE: a suspension commits either
  // before (nothing is issued) or after (it sees this token's family and revokes it).
  const inserted = rowsOf<{ id: string }>(
    await primaryDb(ctx).execute(sql`insert into refresh_tokens (id, user_id, family_id, token_hash, expires_at, ip, user_agent)
      select ${Bun.randomUUIDv7()}, u.id, ${familyId}, ${sha256(refreshToken)}, ${expiresAt}::timestamptz, ${meta.ip ?? null}, ${meta.userAgent?.slice(0, 300) ?? null}
      from users u where u.id = ${userId} and u.suspended_at is null and u.deleted_at is null
      for share of u
      returning id`),
  );
  if (!inserted.length) throw inactive();
  const accessToken = await s.tokens.sign({ userId, sessionId: familyId });
  return { accessToken, refreshToken, tokenType: "Bearer", expiresIn: s.tokens.ttlSeconds };
}

/** A new login: a new refresh-token family whose id is the access tokens' `sid`. */
export function startSession({
  ctx,
  input: { userId, client },
}: Call<{ userId: string; client: ClientMeta }, SystemCtx>): Promise<TokenPair> {
  return issue(ctx, userId, Bun.randomUUIDv7(), client);
}

/** Rotates a refresh token. Presenting an already-rotated token revokes its whole family. */
export async function refreshSession({
  ctx,
  input: { refreshToken: presented, client: meta },
}: Call<{ refreshToken: string; client: ClientMeta }, SystemCtx>): Promise<TokenPair> {
  const { s } = ctx;
  const invalid = () => new AppError("UNAUTHORIZED", "Invalid refresh token");
  const outcome = await withTransaction(ctx, async (ctx) => {
    const tx = ctx.tx.db;
    const [row] = await tx
      .select()
      .from(schema.refreshTokens)
      .where(eq(schema.refreshTokens.tokenHash, sha256(presented)))
      .for("update");
    if (!row || row.revokedAt) return { error: invalid() };
    if (row.replacedAt) return { reuse: row };
    if (row.expiresAt.getTime() <= s.clock().getTime()) return { error: invalid() };
    await tx.update(schema.refreshTokens).set({ replacedAt: s.clock() }).where(eq(schema.refreshTokens.id, row.id));
    return { pair: await issue(ctx, row.userId, row.familyId, meta) };
  });
  if (outcome.pair) return outcome.pair;
  if (outcome.reuse) {
    // Someone replayed a spent token: either the client or a thief holds a copy. End the login.
    await revokeFamily({ ctx: { ...ctx, userId: outcome.reuse.userId }, input: { familyId: outcome.reuse.familyId } });
    await audit({
      ctx,
      input: {
        userId: outcome.reuse.userId,
        action: "auth.refresh_reuse",
        targetType: "session",
        targetId: outcome.reuse.familyId,
        ...meta,
      },
    });
    throw new AppError("UNAUTHORIZED", "Refresh token reuse detected; the session has been revoked");
  }
  throw outcome.error ?? invalid();
}

/** Revokes logins (refresh-token families) and denylists their access tokens at once. */
async function revokeFamilies(ctx: SystemCtx, userId: string, familyIds: string[]): Promise<void> {
  if (!familyIds.length) return;
  const t = schema.refreshTokens;
  await primaryDb(ctx)
    .update(t)
    .set({ revokedAt: ctx.s.clock() })
    .where(and(eq(t.userId, userId), inArray(t.familyId, familyIds), isNull(t.revokedAt)));
  // Access tokens of these logins stay cryptographically valid until they expire: deny them.
  for (const familyId of familyIds) await ctx.s.security.set(denyKey(familyId), "1", ctx.s.tokens.ttlSeconds);
}

export async function revokeFamily({ ctx, input: { familyId } }: Call<{ familyId: string }>): Promise<void> {
  await revokeFamilies(ctx, ctx.userId, [familyId]);
}

export interface SessionView {
  id: string;
  current: boolean;
  userAgent: string | null;
  ip: string | null;
  createdAt: string;
  lastUsedAt: string;
  expiresAt: string;
}

/**
 * A user's active logins: refresh-token families whose newest token is live. `createdAt` is
 * the sign-in, `lastUsedAt` the latest token issue (sign-in or refresh), and the user agent
 * and IP are those of that latest call.
 */
export async function listSessions({ ctx, input }: Call<{ currentSessionId?: string }>): Promise<SessionView[]> {
  const rows = rowsOf<{ family_id: string; user_agent: string | null; ip: string | null; first: string; last: string; expires_at: string }>(
    await ctx.s.db.primary.execute(sql`select distinct on (family_id) family_id, user_agent, ip, expires_at,
        min(created_at) over (partition by family_id) as first, created_at as last
      from refresh_tokens
      where user_id = ${ctx.userId}
        and family_id in (select family_id from refresh_tokens where user_id = ${ctx.userId}
          and revoked_at is null and replaced_at is null and expires_at > now())
      order by family_id, created_at desc`),
  );
  return rows
    .map((r) => ({
      id: r.family_id,
      current: r.family_id === input?.currentSessionId,
      userAgent: r.user_agent,
      ip: r.ip,
      createdAt: new Date(r.first).toISOString(),
      lastUsedAt: new Date(r.last).toISOString(),
      expiresAt: new Date(r.expires_at).toISOString(),
    }))
    .sort((a, b) => b.lastUsedAt.localeCompare(a.lastUsedAt));
}

/** Ends one of the caller's logins; someone else's, or an ended one, is 404. */
export async function revokeSession({ ctx, input }: Call<{ sessionId: string; client: ClientMeta }>): Promise<void> {
  const t = schema.refreshTokens;
  const [live] = await ctx.s.db.primary
    .select({ id: t.id })
    .from(t)
    .where(and(eq(t.userId, ctx.userId), eq(t.familyId, input.sessionId), isNull(t.revokedAt)))
    .limit(1);
  if (!live) throw notFound("Session");
  await revokeFamilies(ctx, ctx.userId, [input.sessionId]);
  await audit({
    ctx,
    input: { userId: ctx.userId, action: "session.revoked", targetType: "session", targetId: input.sessionId, ...input.client },
  });
}

/** Ends every login of the user (or every other one, with `keepSessionId`); returns how many. */
export async function revokeAllSessions({
  ctx,
  input,
}: Call<{ keepSessionId?: string; client?: ClientMeta; actorId?: string; quiet?: boolean }>): Promise<number> {
  const t = schema.refreshTokens;
  const rows = await primaryDb(ctx)
    .selectDistinct({ familyId: t.familyId })
    .from(t)
    .where(and(eq(t.userId, ctx.userId), isNull(t.revokedAt)));
  const families = rows.map((r) => r.familyId).filter((f) => f !== input.keepSessionId);
  await revokeFamilies(ctx, ctx.userId, families);
  if (!input.quiet) {
    await audit({
      ctx,
      input: {
        userId: ctx.userId,
        actorId: input.actorId,
        action: "session.revoked_all",
        metadata: { count: families.length, keptCurrent: input.keepSessionId !== undefined },
        ...input.client,
      },
    });
  }
  return families.length;
}

/** Drops the cached lookups of a user's API keys, so a suspension or deletion holds at once. */
export async function forgetApiKeys({ ctx }: Call): Promise<void> {
  const keys = await ctx.s.db.primary
    .select({ hash: schema.apiKeys.keyHash })
    .from(schema.apiKeys)
    .where(eq(schema.apiKeys.userId, ctx.userId));
  if (keys.length) await ctx.s.kv.del(keys.map((k) => apiKeyCacheKey(k.hash)));
}
