import { type Drizzle, schema } from "@tcc/db";
import { and, eq, isNull } from "drizzle-orm";
import { randomToken, sha256 } from "../auth/secrets";
import type { Services } from "../context";
import { AppError } from "../errors";
import { audit } from "./audit";

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: "Bearer";
  expiresIn: number;
}

interface ClientMeta {
  ip?: string;
  userAgent?: string;
  requestId?: string;
}

export const denyKey = (sessionId: string) => `tcc:deny:sid:${sessionId}`;

async function issue(s: Services, userId: string, familyId: string, meta: ClientMeta, db: Drizzle = s.db.primary): Promise<TokenPair> {
  const refreshToken = randomToken("tccr_");
  await db.insert(schema.refreshTokens).values({
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
export function startSession(s: Services, userId: string, meta: ClientMeta): Promise<TokenPair> {
  return issue(s, userId, Bun.randomUUIDv7(), meta);
}

/** Rotates a refresh token. Presenting an already-rotated token revokes its whole family. */
export async function refreshSession(s: Services, presented: string, meta: ClientMeta): Promise<TokenPair> {
  const invalid = () => new AppError("UNAUTHORIZED", "Invalid refresh token");
  const outcome = await s.db.primary.transaction(async (tx) => {
    const [row] = await tx
      .select()
      .from(schema.refreshTokens)
      .where(eq(schema.refreshTokens.tokenHash, sha256(presented)))
      .for("update");
    if (!row || row.revokedAt) return { error: invalid() };
    if (row.replacedAt) return { reuse: row };
    if (row.expiresAt.getTime() <= s.clock().getTime()) return { error: invalid() };
    await tx.update(schema.refreshTokens).set({ replacedAt: s.clock() }).where(eq(schema.refreshTokens.id, row.id));
    return { pair: await issue(s, row.userId, row.familyId, meta, tx) };
  });
  if (outcome.pair) return outcome.pair;
  if (outcome.reuse) {
    // Someone replayed a spent token: either the client or a thief holds a copy. End the login.
    await revokeFamily(s, outcome.reuse.userId, outcome.reuse.familyId);
    await audit(s, {
      userId: outcome.reuse.userId,
      action: "auth.refresh_reuse",
      targetType: "session",
      targetId: outcome.reuse.familyId,
      ...meta,
    });
    throw new AppError("UNAUTHORIZED", "Refresh token reuse detected; the session has been revoked");
  }
  throw outcome.error ?? invalid();
}

export async function revokeFamily(s: Services, userId: string, familyId: string): Promise<void> {
  await s.db.primary
    .update(schema.refreshTokens)
    .set({ revokedAt: s.clock() })
    .where(
      and(eq(schema.refreshTokens.userId, userId), eq(schema.refreshTokens.familyId, familyId), isNull(schema.refreshTokens.revokedAt)),
    );
  // Access tokens of this login stay cryptographically valid until they expire: deny them.
  await s.kv.set(denyKey(familyId), "1", s.tokens.ttlSeconds);
}
