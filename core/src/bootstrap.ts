import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { createPgliteDatabase, createPostgresDatabase, type Database, ensureEmbeddingDims, migrate } from "@tcc/db";
import { waitForRedis } from "@tcc/shared/runtime";
import { type AiClient, GatewayClient } from "./ai/client";
import { startEmbeddedGateway } from "./ai/embedded-gateway";
import { loadFileUrlSecret, loadSigningKeys } from "./auth/keys";
import { redenyRecentLogouts } from "./auth/revocation";
import { AccessTokens } from "./auth/tokens";
import type { Services } from "./context";
import type { Env } from "./env";
import { registerJobs } from "./job-handlers";
import { BullMqJobQueue, type JobQueue, MemoryJobQueue } from "./jobs";
import { RedisGate, type RequestGate, SeparateGate } from "./lib/gate";
import { LeasedGate } from "./lib/gate-lease";
import { type KV, MemoryKV } from "./lib/kv";
import { createLogger, createRequestLogger, type Logger } from "./lib/logger";
import { createMetrics } from "./lib/metrics";
import { MemoryRateLimiter, type RateLimiter, RedisRateLimiter } from "./lib/rate-limit";
import { ReadCache } from "./lib/read-cache";
import { connectJobRedis, connectRedis, RedisKV } from "./lib/redis-kv";
import { RequestLoad } from "./lib/request-rate";
import { createStorage, type ObjectStorage } from "./storage";

export function openDatabase(env: Env): Promise<Database> {
  if (!env.DATABASE_URL) return createPgliteDatabase(join(env.DATA_DIR, "pg"));
  return Promise.resolve(
    createPostgresDatabase({
      url: env.DATABASE_URL,
      replicaUrls: env.DATABASE_REPLICA_URLS,
      poolMax: env.DB_POOL_MAX,
      replicaPoolMax: env.DB_REPLICA_POOL_MAX,
      idleTimeoutSeconds: env.DB_IDLE_TIMEOUT_S,
      connectTimeoutSeconds: env.DB_CONNECT_TIMEOUT_S,
      statementTimeoutMs: env.DB_STATEMENT_TIMEOUT_MS,
      readYourWritesMs: env.DB_READ_YOUR_WRITES_MS,
      maxReplicaLagSeconds: env.DB_MAX_REPLICA_LAG_S,
      healthIntervalMs: env.DB_REPLICA_HEALTH_INTERVAL_MS,
    }),
  );
}

/** Opens the database, applies migrations, and sizes the vector column to EMBEDDING_DIMS. */
export async function openMigratedDatabase(env: Env): Promise<Database> {
  const db = await openDatabase(env);
  try {
    await migrate(db, env.DATABASE_URL);
    await ensureEmbeddingDims(db, env.EMBEDDING_DIMS);
  } catch (err) {
    await db.close();
    throw err;
  }
  return db;
}

/**
 * Every S3 value is passed explicitly and defined: Bun's S3Client falls back to S3_* and AWS_*
 * variables in process.env for any option that is undefined (or an empty string).
 */
export function openStorage(env: Env): ObjectStorage {
  if (env.STORAGE_DRIVER === "local") return createStorage({ driver: "local", root: env.FILES_DIR ?? join(env.DATA_DIR, "files") });
  const region = env.S3_REGION ?? (env.S3_ENDPOINT ? "auto" : "us-east-1");
  return createStorage({
    driver: "s3",
    // The env schema requires these three when the driver is s3.
    bucket: env.S3_BUCKET as string,
    accessKeyId: env.S3_ACCESS_KEY_ID as string,
    secretAccessKey: env.S3_SECRET_ACCESS_KEY as string,
    endpoint: env.S3_ENDPOINT ?? `https://s3.${region}.amazonaws.com`,
    region,
    virtualHostedStyle: env.S3_VIRTUAL_HOSTED_STYLE === undefined ? !env.S3_ENDPOINT : ["true", "1"].includes(env.S3_VIRTUAL_HOSTED_STYLE),
  });
}

/**
 * The AI gateway core talks to. Without AI_GATEWAY_URL the embedded default starts the
 * gateway's built-in provider itself (see ai/embedded-gateway.ts).
 */
export function openAiClient(env: Env, logger: Logger = createLogger(env.LOG_LEVEL)): AiClient {
  const common = {
    token: env.AI_GATEWAY_TOKEN,
    chatModel: env.AI_CHAT_MODEL,
    embeddingModel: env.AI_EMBEDDING_MODEL,
    timeoutMs: env.AI_TIMEOUT_MS,
  };
  if (env.AI_GATEWAY_URL) return new GatewayClient({ ...common, baseUrl: env.AI_GATEWAY_URL });
  // A token of its own, so the child's loopback port serves only this process.
  const token = env.AI_GATEWAY_TOKEN ?? randomBytes(24).toString("base64url");
  // Core already logs every request at info; the child's request lines would only repeat them
  // (debug and trace still reach the child, for diagnosis).
  const logLevel = env.LOG_LEVEL === "info" ? "warn" : env.LOG_LEVEL;
  const gateway = startEmbeddedGateway({ dims: env.EMBEDDING_DIMS, logLevel, logger, token });
  return new GatewayClient({ ...common, token, baseUrl: gateway.url, onClose: () => gateway.stop() });
}

/** How often the in-memory stores drop keys that expired unread. */
const SWEEP_MS = 60_000;

/** Builds every service from the environment: Postgres/Redis when configured, embedded otherwise. `opts` replaces a part (tests). */
export async function createServices(env: Env, opts: { logger?: Logger; db?: Database; ai?: AiClient } = {}): Promise<Services> {
  const logger = opts.logger ?? createLogger(env.LOG_LEVEL);
  const db = opts.db ?? (await openMigratedDatabase(env));
  let kv: KV;
  let security: KV;
  let limiter: RateLimiter;
  let gate: RequestGate;
  if (env.REDIS_URL) {
    const redis = connectRedis(env.REDIS_URL);
    // Start-up traffic should not be answered from the fallback; without Redis after 3 s, start degraded.
    if (!(await waitForRedis(redis))) logger.warn("Redis is unreachable; serving from the database and process memory until it returns");
    const redisKv = new RedisKV(redis);
    kv = redisKv;
    security = kv;
    limiter = new RedisRateLimiter(redis);
    const redisGate = new RedisGate(redis, kv);
    const leaseMs = env.GATE_LEASE_MS;
    gate = leaseMs > 0 ? new LeasedGate(redisGate, redis, { leaseMs, maxPerLease: 1_000 }, () => redisKv.healthy) : redisGate;
  } else {
    kv = new MemoryKV().startSweeping(SWEEP_MS);
    security = new MemoryKV(Number.POSITIVE_INFINITY).startSweeping(SWEEP_MS);
    limiter = new MemoryRateLimiter();
    gate = new SeparateGate(limiter, kv, security);
  }
  const metrics = createMetrics({ db, kv });
  const jobs: JobQueue = env.REDIS_URL
    ? new BullMqJobQueue(() => connectJobRedis(env.REDIS_URL as string), logger, metrics, env.JOB_QUEUE_PREFIX)
    : new MemoryJobQueue(logger, metrics);
  metrics.jobSources.queue = jobs;
  metrics.poolMax.set({ pool: "primary" }, db.driver === "pglite" ? 1 : env.DB_POOL_MAX);
  if (env.DATABASE_REPLICA_URLS.length) metrics.poolMax.set({ pool: "replica" }, env.DB_REPLICA_POOL_MAX);
  const keys = await loadSigningKeys({
    privateKey: env.JWT_PRIVATE_KEY,
    keyId: env.JWT_KEY_ID,
    previousPublicKeys: env.JWT_PREVIOUS_PUBLIC_KEYS,
    dataDir: env.DATA_DIR,
  });
  const tokens = new AccessTokens(keys, { issuer: env.JWT_ISSUER, audience: env.JWT_AUDIENCE, accessTtlSeconds: env.ACCESS_TOKEN_TTL_S });
  const services: Services = {
    ai: opts.ai ?? openAiClient(env, logger),
    env,
    db,
    kv,
    security,
    cache: new ReadCache(kv, metrics, env.CACHE_TTL_S, env.READ_CACHE === "on", security),
    limiter,
    gate,
    tokens,
    storage: openStorage(env),
    jobs,
    fileUrlSecret: loadFileUrlSecret({ secret: env.FILE_URL_SECRET, dataDir: env.DATA_DIR }),
    logger,
    requestLog: createRequestLogger(env.LOG_LEVEL),
    metrics,
    requestLoad: new RequestLoad(kv, `${env.JOB_QUEUE_PREFIX}:busy`, env.JOBS_YIELD_ABOVE_RPS),
    clock: () => new Date(),
  };
  if (kv instanceof RedisKV) {
    // Logouts that reached only the database (Redis down, or restarted without persistence).
    const redeny = () =>
      redenyRecentLogouts({ ctx: { s: services } }).catch((err: unknown) =>
        logger.warn({ err: String(err) }, "could not rewrite the logout denylist"),
      );
    kv.onRecover(redeny);
    await redeny();
  }
  registerJobs(services);
  if (env.JOB_WORKERS === "on") await jobs.start();
  return services;
}

export async function closeServices(s: Services): Promise<void> {
  await s.jobs.close();
  await s.ai.close();
  await s.gate.close();
  await s.kv.close();
  if (s.security !== s.kv) await s.security.close();
  await s.db.close();
}
