// core/src/main.ts with the two alternative clients swapped in (see ./bun-redis-gate.ts and
// ./bun-sql-database.ts): started by scripts/bench/alternatives.ts next to the real core.
import { stopGracefully } from "@tcc/shared/runtime";
import { createApp } from "../../../core/src/app";
import { closeServices, createServices } from "../../../core/src/bootstrap";
import { loadEnv } from "../../../core/src/env";
import { BunRedisGate } from "./bun-redis-gate";
import { createBunSqlDatabase } from "./bun-sql-database";

const env = loadEnv();
if (!env.DATABASE_URL || !env.REDIS_URL) throw new Error("the alternatives need DATABASE_URL and REDIS_URL");
// BENCH_ALT_SQL=off keeps postgres.js: Bun.sql sends a string bound to a jsonb parameter as a JSON
// string, so the create statement (tags as jsonb) would need rewriting to run on it.
const db =
  process.env.BENCH_ALT_SQL === "off"
    ? undefined
    : createBunSqlDatabase({
        url: env.DATABASE_URL,
        replicaUrls: env.DATABASE_REPLICA_URLS,
        poolMax: env.DB_POOL_MAX,
        replicaPoolMax: env.DB_REPLICA_POOL_MAX,
        readYourWritesMs: env.DB_READ_YOUR_WRITES_MS,
      });
const services = await createServices(env, { db });
services.gate = await BunRedisGate.connect(env.REDIS_URL);
const server = Bun.serve({ hostname: env.HOST, port: env.PORT, fetch: createApp(services).fetch });
stopGracefully({ server, graceMs: env.SHUTDOWN_GRACE_MS, logger: services.logger, close: () => closeServices(services) });
