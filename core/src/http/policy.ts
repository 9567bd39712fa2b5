import type { MiddlewareHandler } from "hono";
import { every } from "hono/combine";
import { bodyGuard } from "./body";
import { protect } from "./protect";
import { limitByIp } from "./rate-limit";
import type { AppEnv, SignedInEnv } from "./types";

// A route's policy is declared on the route: who may call it, which budget it spends, how its
// body is checked. Each guard runs after the app-wide middleware and before the route's
// validators, so an unauthenticated or oversized request is refused before its body is parsed.

/** A bearer token (access JWT or API key): per-IP and per-user limits, logout revocation, body limit and strict UTF-8. */
export const signedInGuard: MiddlewareHandler<AppEnv & SignedInEnv> = every(bodyGuard("json"), protect());

/** No token (signed links, shared galleries): the per-IP budget and the body checks. */
export const openGuard: MiddlewareHandler<AppEnv> = every(bodyGuard("json"), limitByIp("ip"));

/** The credential routes (register, login, refresh): no token, the per-IP budget and the stricter auth budget. */
export const credentialsGuard: MiddlewareHandler<AppEnv> = every(bodyGuard("json"), limitByIp("ip"), limitByIp("auth"));

/** The HTML pages (/g/): the per-IP budget; they take no body. */
export const pageGuard: MiddlewareHandler<AppEnv> = limitByIp("ip");

/** File uploads: a bearer token, and MAX_FILE_BYTES on the declared length instead of the body limit (the route streams the body). */
export const uploadGuard: MiddlewareHandler<AppEnv & SignedInEnv> = every(bodyGuard("upload"), protect());

const bearer = [{ bearer: [] as string[] }];

/** Spread into createRoute: the guard, and for signed-in routes the OpenAPI `security` that documents it. */
export const policy = {
  signedIn: { security: bearer, middleware: signedInGuard },
  open: { middleware: openGuard },
  credentials: { middleware: credentialsGuard },
};

/**
 * For /v1 requests that match no route (they end in a 404): the guard a route there would have,
 * the open one under /v1/public/ and the signed-in one elsewhere, so probing for paths costs
 * what calling real ones does.
 */
const unmatchedOpen: MiddlewareHandler<AppEnv & SignedInEnv> = every(bodyGuard("json"), limitByIp("ip"));
export const unmatchedGuard: MiddlewareHandler<AppEnv & SignedInEnv> = (c, next) =>
  c.req.path.startsWith("/v1/public/") ? unmatchedOpen(c, next) : signedInGuard(c, next);
