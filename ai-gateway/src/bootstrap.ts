import { waitForRedis } from "@tcc/shared/runtime";
import Redis from "ioredis";
import { MemoryResponseCache, RedisResponseCache } from "./cache/response-cache";
import type { Env } from "./env";
import { createLogger, type Logger } from "./lib/logger";
import { createMetrics } from "./lib/metrics";
import { RequestLog } from "./lib/request-log";
import { NodePool } from "./nodes/pool";
import { TokenAccounting } from "./quota";
import { RedisSlots } from "./sched/redis-slots";
import { Scheduler } from "./sched/scheduler";
import { MemorySlots } from "./sched/slots";
import type { Services } from "./services";

function connect(url: string, logger: Logger): Redis {
  // Fail fast instead of queueing commands while Redis is away: a slot or cache call then
  // errors at once and the request takes its fallback path.
  const redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false });
  redis.on("error", (err) => logger.warn({ err: err.message }, "redis error"));
  return redis;
}

/** Builds the real services from the environment and probes the nodes once. */
export async function createServices(env: Env, opts: { logger?: Logger; defaultMetrics?: boolean } = {}): Promise<Services> {
  const logger = opts.logger ?? createLogger(env.LOG_LEVEL);
  const metrics = createMetrics({ defaultMetrics: opts.defaultMetrics });
  const redis = env.REDIS_URL ? connect(env.REDIS_URL, logger) : undefined;
  if (redis && !(await waitForRedis(redis, 5_000))) logger.warn({ err: "no connection within 5000 ms" }, "redis not answering at start-up");
  const pool = new NodePool(env.LMSTUDIO_NODES, { logger, intervalMs: env.AI_HEALTH_INTERVAL_MS });
  // Pub/sub needs a connection of its own; it must be up before subscribing (no offline queue).
  const subscriber = env.REDIS_URL ? connect(env.REDIS_URL, logger) : undefined;
  if (subscriber) await waitForRedis(subscriber, 5_000); // the main connection already warned
  const slots = redis && subscriber ? new RedisSlots(redis, subscriber, env.AI_SLOT_LEASE_MS, logger) : new MemorySlots();
  const scheduler = new Scheduler(pool, slots, metrics, { queueMax: env.AI_QUEUE_MAX, leaseMs: env.AI_SLOT_LEASE_MS });
  const cache = redis ? new RedisResponseCache(redis, logger) : new MemoryResponseCache(env.AI_CACHE_MEMORY_BYTES);
  const accounting = new TokenAccounting({ dailyQuota: env.AI_DAILY_TOKEN_QUOTA, redis, logger, now: Date.now });
  metrics.sources.nodes = () => pool.nodes.map((n) => ({ url: n.url, healthy: n.healthy, inUse: n.active }));
  await pool.start();
  return { env, logger, requestLog: new RequestLog(logger), metrics, pool, slots, scheduler, cache, accounting, redis };
}

export async function closeServices(s: Services): Promise<void> {
  s.requestLog.flush();
  s.pool.stop();
  s.scheduler.close();
  await s.accounting.close();
  await s.slots.close();
  await s.redis?.quit().catch(() => {});
}
