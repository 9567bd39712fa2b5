import type { MiddlewareHandler } from "hono";
import { matchedRoutes, routePath } from "hono/route";
import type { AppEnv, AuthInfo } from "./types";

/** Observed after the route: a signed-in route has set `auth` by then. */
type ObservedEnv = { Variables: AppEnv["Variables"] & { auth?: AuthInfo } };

/** Metrics and the one log line per request. Labels use the route template, never the raw path. */
export function observe(): MiddlewareHandler<ObservedEnv> {
  return async (c, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const { metrics, logger } = c.get("services");
      const seconds = (performance.now() - started) / 1000;
      // The template of the route that matched (a method of its own), not of a guard registered
      // after the routes for paths that match none; those keep the guard's pattern.
      const template = matchedRoutes(c).findLast((r) => r.method !== "ALL")?.path ?? routePath(c, -1);
      const route = template === "*" || template === "/*" ? "unmatched" : template;
      const method = c.req.method;
      const status = c.res.status;
      metrics.requests.inc({ method, route, status: String(status) });
      metrics.requestDuration.observe({ method, route }, seconds);
      logger.info(
        { requestId: c.get("requestId"), method, route, status, durationMs: Math.round(seconds * 1e4) / 10, userId: c.get("auth")?.userId },
        "request",
      );
    }
  };
}
