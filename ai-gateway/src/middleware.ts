import { timingSafeEqual } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import { errorBody, errorResponse, GatewayError } from "./errors";
import type { AppEnv } from "./types";
import { UpstreamClientError } from "./upstream/forward";

const digest = (s: string) => new Bun.CryptoHasher("sha256").update(s).digest();

/** Bearer AI_GATEWAY_TOKEN, compared in constant time (digests have equal length whatever was sent). */
export function requireToken(token: string | undefined): MiddlewareHandler<AppEnv> {
  if (!token) return (_c, next) => next();
  const expected = digest(token);
  return async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const sent = header.startsWith("Bearer ") ? header.slice(7) : "";
    if (!sent || !timingSafeEqual(digest(sent), expected)) {
      throw new GatewayError("unauthorized", "Missing or wrong bearer token for the AI gateway");
    }
    await next();
  };
}

/** One log line per request (never bodies or tokens): request id, route, status, duration, user. */
export function observe(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    const requestId = c.req.header("x-request-id") || crypto.randomUUID();
    c.set("requestId", requestId);
    await next();
    c.get("services").requestLog.line({
      requestId,
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
      user: c.get("user"),
    });
  };
}

export function onError(err: Error, c: Context<AppEnv>): Response {
  if (err instanceof GatewayError) return errorResponse(err);
  if (err instanceof UpstreamClientError) {
    // The node refused the request itself (bad parameters for that model…): pass its words on.
    const body =
      err.body && typeof err.body === "object" ? { error: err.body } : errorBody("upstream_error", err.message, "invalid_request_error");
    return c.json(body, err.status as 400);
  }
  c.get("services").logger.error({ err, requestId: c.get("requestId") }, "unhandled");
  return errorResponse(new GatewayError("internal_error", "Internal error"));
}
