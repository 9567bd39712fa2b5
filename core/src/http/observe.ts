import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import type { AppEnv } from "./types";

/** Metrics and the one log line per request. Labels use the route template, never the raw path. */
export function observe(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const { metrics, logger } = c.get("services");
      const seconds = (performance.now() - started) / 1000;
      const template = routePath(c, -1);
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
