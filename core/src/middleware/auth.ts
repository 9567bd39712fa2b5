import type { Context, MiddlewareHandler } from "hono";
import type { Scope } from "../contracts/tokens";
import { AppError } from "../errors";
import { resolveApiKey } from "../services/api-keys";
import { denyKey } from "../services/sessions";
import { adoptRecentWrite, recentWriteKey } from "../services/wrote";
import type { AppEnv, AuthInfo } from "../types";

export const API_KEY_PREFIX = "tcc_";

/** Accepts `Authorization: Bearer <access JWT | API key>` and sets `auth`. */
export function authenticate(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header("authorization");
    const match = header?.match(/^Bearer\s+(\S+)$/i);
    if (!match) throw new AppError("UNAUTHORIZED", "Missing bearer token", undefined, { "WWW-Authenticate": "Bearer" });
    const token = match[1] as string;
    const s = c.get("services");
    let auth: AuthInfo;
    if (token.startsWith(API_KEY_PREFIX)) {
      const key = await resolveApiKey(s, token);
      if (!key) throw new AppError("UNAUTHORIZED", "Invalid or revoked API key", undefined, { "WWW-Authenticate": "Bearer" });
      auth = { userId: key.userId, scopes: new Set(key.scopes as Scope[]), apiKeyId: key.id };
      adoptRecentWrite(s, auth.userId, await s.kv.get(recentWriteKey(auth.userId)));
    } else {
      const claims = await s.tokens.verify(token);
      // One round trip for both: is this login revoked, and did this user write recently elsewhere?
      const [revoked, recentWrite] = await s.kv.mget([denyKey(claims.sid), recentWriteKey(claims.sub)]);
      if (revoked !== null) throw new AppError("UNAUTHORIZED", "Session has been logged out");
      auth = { userId: claims.sub, scopes: null, sessionId: claims.sid };
      adoptRecentWrite(s, auth.userId, recentWrite);
    }
    c.set("auth", auth);
    await next();
  };
}

export function requireAuth(c: Context<AppEnv>): AuthInfo {
  const auth = c.get("auth");
  if (!auth) throw new AppError("UNAUTHORIZED", "Authentication required");
  return auth;
}

/** API keys carry scopes; first-party sessions may do everything. */
export function requireScope(c: Context<AppEnv>, scope: Scope): AuthInfo {
  const auth = requireAuth(c);
  if (auth.scopes && !auth.scopes.has(scope)) throw new AppError("FORBIDDEN", `This API key lacks the ${scope} scope`);
  return auth;
}

/** Session-only operations (managing keys, logout) refuse API keys outright. */
export function requireSession(c: Context<AppEnv>): AuthInfo {
  const auth = requireAuth(c);
  if (!auth.sessionId) throw new AppError("FORBIDDEN", "This operation needs a signed-in session, not an API key");
  return auth;
}
