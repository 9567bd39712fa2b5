import { schema } from "@tcc/db";
import { and, eq, isNull } from "drizzle-orm";
import { denyKey } from "../auth/identify";
import { randomToken, sha256 } from "../auth/secrets";
import type { Call, SystemCtx } from "../context";
import { primaryDb, withTransaction } from "../db/transaction";
import { AppError } from "../errors";
import { audit, type ClientMeta } from "./audit";

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: "Bearer";
  expiresIn: number;
}

async function issue(ctx: SystemCtx, userId: string, familyId: string, meta: ClientMeta): Promise<TokenPair> {
  const { s } = ctx;
  const refreshToken = randomToken("tccr_");
  await primaryDb(ctx)
    .insert(schema.refreshTokens)
    .values({
      userId,
      familyId,
      tokenHash: sha256(refreshToken),
      expiresAt: new Date(s.clock().getTime() + s.env.REFRESH_TOKEN_TTL_S * 1000),
      ip: meta.ip,
      userAgent: meta.userAgent?.slice(0, 300),
    });
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

export async function revokeFamily({ ctx, input: { familyId } }: Call<{ familyId: string }>): Promise<void> {
  const { s, userId } = ctx;
  await s.db.primary
    .update(schema.refreshTokens)
    .set({ revokedAt: s.clock() })
    .where(
      and(eq(schema.refreshTokens.userId, userId), eq(schema.refreshTokens.familyId, familyId), isNull(schema.refreshTokens.revokedAt)),
    );
  // Access tokens of this login stay cryptographically valid until they expire: deny them.
  await s.security.set(denyKey(familyId), "1", s.tokens.ttlSeconds);
}
