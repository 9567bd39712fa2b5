import { timingSafeEqual } from "node:crypto";
import type { Env } from "../env";
import { notFoundHandler } from "./errors";
import type { App } from "./types";

export function registerHealth(app: App) {
  // Alive: the process answers. Nothing else is checked, so k8s does not restart us for a DB blip.
  app.get("/healthz", (c) => c.json({ status: "ok" }));

  // Ready: the primary answers. Redis or a replica being down degrades but does not fail us,
  // because the API keeps serving from the database and its own memory.
  app.get("/readyz", async (c) => {
    const s = c.get("services");
    const [database, cache] = await Promise.all([s.db.ping(), s.kv.ping()]);
    const replicas = s.db.replicas();
    const degraded = !cache || replicas.some((r) => !r.healthy);
    const status = !database ? "unavailable" : degraded ? "degraded" : "ok";
    return c.json(
      {
        status,
        checks: {
          database: { status: database ? "ok" : "down", driver: s.db.driver },
          cache: { status: cache ? "ok" : "down", kind: s.kv.kind },
          replicas,
        },
      },
      database ? 200 : 503,
    );
  });

  app.get("/metrics", async (c) => {
    const { metrics, env } = c.get("services");
    if (!metricsAllowed(env, c.req.header("authorization"))) return notFoundHandler(c);
    return c.text(await metrics.registry.metrics(), 200, { "Content-Type": metrics.registry.contentType });
  });
}

/**
 * `/metrics` names routes, queue depths and error rates: in production it answers only the
 * scraper holding METRICS_TOKEN, and is 404 (as if absent) to everyone else, or to everyone
 * when no token is set. Outside production without a token it stays open for development.
 */
function metricsAllowed(env: Env, authorization: string | undefined): boolean {
  if (!env.METRICS_TOKEN) return env.NODE_ENV !== "production";
  const given = Buffer.from(authorization?.match(/^Bearer\s+(\S+)$/i)?.[1] ?? "");
  const expected = Buffer.from(env.METRICS_TOKEN);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
