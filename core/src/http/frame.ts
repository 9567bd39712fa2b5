import type { Context, MiddlewareHandler } from "hono";
import { matchedRoutes, routePath } from "hono/route";
import type { Services } from "../context";
import { gzipJson } from "./compress";
import type { AppEnv, AuthInfo } from "./types";
import { sendLargeJsonWhole } from "./whole-json";

/** Observed after the route: a signed-in route has set `auth` by then. */
type FramedEnv = { Variables: AppEnv["Variables"] & { auth?: AuthInfo } };

/**
 * The headers that matter for a JSON API (OWASP REST cheat sheet), replacing any a route set;
 * the HTML-page ones are left out because every header costs a write per response.
 */
const SECURITY_HEADERS: [string, string][] = [
  ["Cross-Origin-Resource-Policy", "same-origin"],
  ["Referrer-Policy", "no-referrer"],
  ["Strict-Transport-Security", "max-age=15552000; includeSubDomains"],
  ["X-Content-Type-Options", "nosniff"],
  ["X-Frame-Options", "DENY"],
];

const REQUEST_ID = /^[\w\-=]{1,128}$/;

/** The route template that answered (a method of its own), not that of a guard for paths that match none. */
function routeOf(c: Context): string {
  const template = matchedRoutes(c).findLast((r) => r.method !== "ALL")?.path ?? routePath(c, -1);
  return template === "*" || template === "/*" ? "unmatched" : template;
}

/**
 * What every request gets, in one middleware (each Hono middleware is an async frame of its own,
 * and on a cached read five of them cost more than the read): a request id (the client's
 * `X-Request-Id` when it is a sane one), `services` in the context, then after the route the
 * security headers, gzip for JSON of 1 KiB or more (or a large JSON body in one write), the
 * metrics by route template and the one log line.
 */
export function frame(services: Services): MiddlewareHandler<FramedEnv> {
  const { metrics, requestLog, requestLoad } = services;
  return async (c, next) => {
    const started = performance.now();
    requestLoad.note();
    const given = c.req.header("x-request-id");
    const requestId = given && REQUEST_ID.test(given) ? given : crypto.randomUUID();
    c.set("requestId", requestId);
    c.set("services", services);
    c.header("X-Request-Id", requestId);
    try {
      await next();
      const headers = c.res.headers;
      for (const [name, value] of SECURITY_HEADERS) headers.set(name, value);
      headers.delete("X-Powered-By");
      if (!(await gzipJson(c))) await sendLargeJsonWhole(c);
    } finally {
      const seconds = (performance.now() - started) / 1000;
      const route = routeOf(c);
      const method = c.req.method;
      const status = c.res.status;
      metrics.observeRequest(method, route, status, seconds);
      requestLog.info(
        { requestId, method, route, status, durationMs: Math.round(seconds * 1e4) / 10, userId: c.get("auth")?.userId },
        "request",
      );
    }
  };
}
