import { ACCESS_TOKEN_ALG, type AccessClaims } from "@tcc/shared/contracts";
import type { MiddlewareHandler } from "hono";
import { createRemoteJWKSet, jwtVerify } from "jose";
import type { EdgeConfig } from "./env";
import { errorResponse } from "./errors";
import { countRejected } from "./metrics";
import type { EdgeEnv } from "./types";

/** Core's API-key prefix: those are checked by core (revocation and scopes live in its database). */
const API_KEY_PREFIX = "tcc_";

type Jwks = ReturnType<typeof createRemoteJWKSet>;
let jwks: { origin: string; set: Jwks } | undefined;

/**
 * Core's public keys, cached for JWKS_CACHE_S and fetched again when a token names a kid the
 * cached set lacks (a key rotation); jose allows that at most once per 30 s, so forged kids
 * cannot turn into a stream of requests to core.
 */
function keySet(cfg: EdgeConfig): Jwks {
  if (jwks?.origin !== cfg.CORE_ORIGIN) {
    const set = createRemoteJWKSet(new URL("/.well-known/jwks.json", cfg.CORE_ORIGIN), {
      cacheMaxAge: cfg.JWKS_CACHE_S * 1000,
      cooldownDuration: 30_000,
      timeoutDuration: 5_000,
    });
    jwks = { origin: cfg.CORE_ORIGIN, set };
  }
  return jwks.set;
}

// Verified tokens are remembered until they expire (bounded), like core does: a session sends
// the same token on every request and Ed25519 verification is the edge's costliest step.
const verified = new Map<string, AccessClaims>();

async function verify(token: string, cfg: EdgeConfig): Promise<AccessClaims | null> {
  const nowS = Date.now() / 1000;
  const hit = verified.get(token);
  if (hit) {
    if (hit.exp > nowS) return hit;
    verified.delete(token);
  }
  try {
    const { payload } = await jwtVerify(token, keySet(cfg), {
      issuer: cfg.JWT_ISSUER,
      audience: cfg.JWT_AUDIENCE,
      algorithms: [ACCESS_TOKEN_ALG],
      requiredClaims: ["sub", "exp", "iat", "jti", "sid"],
    });
    const claims = payload as unknown as AccessClaims;
    if (verified.size >= 10_000) verified.delete(verified.keys().next().value as string);
    verified.set(token, claims);
    return claims;
  } catch {
    return null;
  }
}

/**
 * Access tokens are checked here with core's rules (issuer, audience, EdDSA only, expiry, the
 * claims core requires); a bad one is refused with core's envelope and never reaches the origin.
 * Requests without a bearer token, and API keys, go on for core to judge.
 */
export const verifyAccessToken: MiddlewareHandler<EdgeEnv> = async (c, next) => {
  const header = c.req.header("authorization");
  const match = header?.match(/^Bearer\s+(\S+)$/i);
  const token = match?.[1];
  if (!token || token.startsWith(API_KEY_PREFIX)) return next();
  const claims = await verify(token, c.get("cfg"));
  if (!claims) {
    countRejected(c, c.get("routeClass"), "auth");
    return errorResponse(c, "UNAUTHORIZED", "Invalid or expired access token", 401, { "www-authenticate": "Bearer" });
  }
  c.set("claims", { sub: claims.sub, sid: claims.sid });
  return next();
};
