import type { Scope } from "@tcc/shared/contracts";
import type { Context } from "hono";
import { AppError } from "../errors";
import type { AppEnv, AuthInfo } from "../http/types";
import { resolveApiKey } from "./api-key-lookup";
import { edgeTrusted } from "./edge-trust";

export const API_KEY_PREFIX = "tcc_";

/** Present while a logged-out login's access tokens have not expired yet. */
export const denyKey = (sessionId: string) => `tcc:deny:sid:${sessionId}`;

export interface Identity {
  auth: AuthInfo;
  /** The denylist key of this login; API keys have none (they are revoked in the database). */
  denyKey?: string;
}

/**
 * Who is calling, from the edge's signed trust header (auth/edge-trust.ts) or else from
 * `Authorization: Bearer <access JWT | API key>`, without touching Redis for a session token (a trust header's nonce costs one call): revocation is checked by the request gate in the same round trip as
 * the rate limits (see http/protect.ts).
 */
export async function identify<E extends AppEnv>(c: Context<E>): Promise<Identity> {
  // The edge already verified this session token and signed who it belongs to.
  const trusted = await edgeTrusted(c);
  if (trusted) return { auth: { userId: trusted.userId, scopes: null, sessionId: trusted.sessionId }, denyKey: denyKey(trusted.sessionId) };
  const header = c.req.header("authorization");
  const match = header?.match(/^Bearer\s+(\S+)$/i);
  if (!match) throw new AppError("UNAUTHORIZED", "Missing bearer token", undefined, { "WWW-Authenticate": "Bearer" });
  const token = match[1] as string;
  const s = c.get("services");
  if (token.startsWith(API_KEY_PREFIX)) {
    const key = await resolveApiKey({ ctx: { s }, input: { presented: token } });
    if (!key) throw new AppError("UNAUTHORIZED", "Invalid or revoked API key", undefined, { "WWW-Authenticate": "Bearer" });
    return { auth: { userId: key.userId, scopes: new Set(key.scopes as Scope[]), apiKeyId: key.id } };
  }
  const claims = await s.tokens.verify(token);
  return { auth: { userId: claims.sub, scopes: null, sessionId: claims.sid }, denyKey: denyKey(claims.sid) };
}

/** API keys carry scopes; first-party sessions may do everything. */
export function requireScope(auth: AuthInfo, scope: Scope): AuthInfo {
  if (auth.scopes && !auth.scopes.has(scope)) throw new AppError("FORBIDDEN", `This API key lacks the ${scope} scope`);
  return auth;
}

/** Session-only operations (managing keys, logout) refuse API keys outright. */
export function requireSession(auth: AuthInfo): AuthInfo & { sessionId: string } {
  if (!auth.sessionId) throw new AppError("FORBIDDEN", "This operation needs a signed-in session, not an API key");
  return auth as AuthInfo & { sessionId: string };
}
