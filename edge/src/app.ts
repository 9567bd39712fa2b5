import { Hono } from "hono";
import { verifyAccessToken } from "./auth";
import { config } from "./env";
import { errorResponse } from "./errors";
import { forward } from "./forward";
import { galleryFromCache } from "./gallery-cache";
import { type CacheStatus, countRequest, scrape } from "./metrics";
import { limited, routeClass } from "./rate-limit";
import type { EdgeEnv } from "./types";

/** Compares without leaking, through timing, how much of a guess was right. */
function sameSecret(given: string, expected: string): boolean {
  const a = new TextEncoder().encode(given);
  const b = new TextEncoder().encode(expected);
  return a.byteLength === b.byteLength && crypto.subtle.timingSafeEqual(a, b);
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;
const CACHE_STATUS = new Set(["HIT", "MISS", "REVALIDATED", "BYPASS"]);

/**
 * The Worker: request id, configuration, the edge's own metrics path, then for everything
 * else the access-token check, and either the gallery cache or the rate limit and core.
 */
export function createEdgeApp() {
  const app = new Hono<EdgeEnv>();

  app.use(async (c, next) => {
    const given = c.req.header("x-request-id");
    c.set("requestId", given && REQUEST_ID.test(given) ? given : crypto.randomUUID());
    c.set("cfg", config(c.env));
    c.set("routeClass", routeClass(c.req.method, c.req.path));
    await next();
    if (c.req.path !== "/__edge/metrics") {
      const cache = c.res.headers.get("x-cache") ?? "BYPASS";
      countRequest(c, c.get("routeClass"), (CACHE_STATUS.has(cache) ? cache : "BYPASS") as CacheStatus);
    }
  });

  /** Prometheus scrape of the edge's counters, behind EDGE_METRICS_TOKEN (404 when unset). */
  app.get("/__edge/metrics", async (c) => {
    const token = c.get("cfg").EDGE_METRICS_TOKEN;
    if (!token) return errorResponse(c, "NOT_FOUND", "Not found");
    if (!sameSecret(c.req.header("authorization") ?? "", `Bearer ${token}`)) {
      return errorResponse(c, "UNAUTHORIZED", "Metrics need the edge's metrics token", 401, { "www-authenticate": "Bearer" });
    }
    return c.body(await scrape(c.env), 200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" });
  });

  app.use(verifyAccessToken);

  app.get("/v1/public/galleries/:slug", galleryFromCache);
  app.get("/g/:slug", galleryFromCache);
  app.all("*", (c) => limited(c, () => forward(c)));

  app.onError((err, c) => {
    console.error(JSON.stringify({ msg: "edge error", requestId: c.get("requestId"), err: String(err) }));
    return errorResponse(c, "INTERNAL", "Internal error", 500);
  });
  return app;
}
