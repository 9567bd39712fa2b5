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
    const { registry } = c.get("services").metrics;
    return c.text(await registry.metrics(), 200, { "Content-Type": registry.contentType });
  });
}
