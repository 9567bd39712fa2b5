import { stopGracefully } from "@tcc/shared/runtime";
import { createApp } from "./app";
import { closeServices, createServices } from "./bootstrap";
import { loadEnv } from "./env";
import { UPLOAD_SLACK_BYTES } from "./http/body";
import { runStartupSweeps } from "./startup-sweeps";

const env = loadEnv();
const services = await createServices(env).catch((err: Error) => {
  console.error(`TCC Log could not start: ${err.message}`);
  process.exit(1);
});
const app = createApp(services);

const server = Bun.serve({
  hostname: env.HOST,
  port: env.PORT,
  fetch: app.fetch,
  // Uploads may be larger than other bodies; the per-route guards enforce each limit.
  maxRequestBodySize: Math.max(env.MAX_BODY_BYTES, env.MAX_FILE_BYTES + UPLOAD_SLACK_BYTES) + 1024,
});
const url = env.PUBLIC_URL ?? `http://${server.hostname}:${server.port}`;
services.logger.info({ url, database: services.db.driver, cache: services.kv.kind }, "TCC Log core listening");
console.log(`TCC Log is running at ${url}  (docs: ${url}/docs, data: ${env.DATABASE_URL ? "PostgreSQL" : `${env.DATA_DIR}/pg`})`);

// In the background: queue the embeddings and image derivatives a restart lost.
void runStartupSweeps(services);

stopGracefully({ server, graceMs: env.SHUTDOWN_GRACE_MS, logger: services.logger, close: () => closeServices(services) });
