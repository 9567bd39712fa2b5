import { stopGracefully } from "@tcc/shared/runtime";
import { createApp } from "./app";
import { closeServices, createServices } from "./bootstrap";
import { loadEnv } from "./env";

const env = loadEnv();
const services = await createServices(env).catch((err: Error) => {
  console.error(`AI gateway could not start: ${err.message}`);
  process.exit(1);
});
const app = createApp(services);

const server = Bun.serve({
  hostname: env.HOST,
  port: env.PORT,
  fetch: app.fetch,
  maxRequestBodySize: env.MAX_BODY_BYTES + 1024,
  // Streams of a slow model can be quiet for a while between tokens.
  idleTimeout: 0,
});
// Core's embedded mode starts this process and reads this exact line for the URL.
console.log(`AI gateway listening at http://${server.hostname}:${server.port}`);
services.logger.info(
  { nodes: services.pool.nodes.map((n) => n.url), redis: !!services.redis, builtinOnly: services.pool.nodes.length === 0 },
  "AI gateway listening",
);

const shutdown = stopGracefully({ server, graceMs: env.SHUTDOWN_GRACE_MS, logger: services.logger, close: () => closeServices(services) });
// Started by core (embedded default): a core killed outright (SIGKILL, OOM) cannot stop us, so
// notice it is gone rather than live on as an orphan holding a port.
if (env.PARENT_PID) {
  const parent = env.PARENT_PID;
  setInterval(() => {
    try {
      process.kill(parent, 0);
    } catch {
      void shutdown("parent exited");
    }
  }, 1_000).unref();
}
