import type { App } from "../types";

export function registerHealth(app: App) {
  app.get("/healthz", (c) => c.json({ status: "ok" }));

  // Ready when it can answer: the built-in provider alone always can; with nodes, one must be in service.
  app.get("/readyz", async (c) => {
    const { pool, redis, scheduler } = c.get("services");
    const healthyNodes = pool.nodes.filter((n) => n.healthy).length;
    const redisUp = redis
      ? await redis.ping().then(
          () => true,
          () => false,
        )
      : null;
    const ready = (pool.nodes.length === 0 || healthyNodes > 0) && redisUp !== false;
    return c.json(
      {
        status: ready ? "ok" : "unavailable",
        nodes: { configured: pool.nodes.length, healthy: healthyNodes },
        redis: redisUp,
        queued: scheduler.waiting,
      },
      ready ? 200 : 503,
    );
  });

  app.get("/metrics", async (c) => {
    const { registry } = c.get("services").metrics;
    return c.body(await registry.metrics(), 200, { "content-type": registry.contentType });
  });
}
