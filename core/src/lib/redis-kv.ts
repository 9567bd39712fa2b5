import Redis from "ioredis";
import type { KV } from "./kv";
import { MemoryKV } from "./kv";
import { EPOCH_KEY } from "./read-cache";

export interface RedisHealth {
  /** Whether the last command reached Redis. */
  up: boolean;
  errors: number;
}

export function connectRedis(url: string): Redis {
  return new Redis(url, {
    // Fail fast while disconnected instead of queueing: the API falls back to its own memory.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 500,
    connectTimeout: 2_000,
    enableAutoPipelining: true,
    lazyConnect: false,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
  });
}

/**
 * BullMQ's connections: blocking commands must wait, and a job enqueued during a blip should
 * be sent when Redis is back, so these queue offline and retry without a per-request limit.
 */
export function connectJobRedis(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableOfflineQueue: true, retryStrategy: (times) => Math.min(times * 200, 2_000) });
}

/**
 * KV over Redis that never takes the API down: when a command fails, the call is answered
 * from a process-local MemoryKV and the failure is counted, so /readyz can say "degraded".
 */
export class RedisKV implements KV {
  readonly kind = "redis" as const;
  readonly health: RedisHealth = { up: true, errors: 0 };
  private readonly fallback = new MemoryKV(10_000);
  private readonly recoverHooks: (() => Promise<unknown>)[] = [];

  constructor(readonly redis: Redis) {
    redis.on("error", () => this.markDown());
    redis.on("ready", () => this.markUp());
  }

  get healthy() {
    return this.health.up;
  }

  /**
   * Each outage starts with an empty fallback: versions counted during an earlier outage
   * would otherwise name cache entries that later writes (to Redis) have made stale.
   */
  private markDown() {
    if (this.health.up) this.fallback.clear();
    this.health.up = false;
  }

  /** Back from an outage (restart or stall): writes meanwhile could not invalidate cached reads, so void them all. */
  private markUp() {
    if (this.health.up) return;
    this.health.up = true;
    this.redis.incr(EPOCH_KEY).catch(() => this.markDown());
    for (const hook of this.recoverHooks) hook().catch(() => {});
  }

  /** Runs `hook` each time Redis answers again after an outage (e.g. to rewrite what only reached the fallback). */
  onRecover(hook: () => Promise<unknown>): void {
    this.recoverHooks.push(hook);
  }

  private async attempt<T>(run: () => Promise<T>, local: () => Promise<T>): Promise<T> {
    try {
      const result = await run();
      this.markUp();
      return result;
    } catch {
      this.markDown();
      this.health.errors++;
      return local();
    }
  }

  get(key: string) {
    return this.attempt(
      () => this.redis.get(key),
      () => this.fallback.get(key),
    );
  }

  mget(keys: string[]) {
    if (keys.length === 0) return Promise.resolve([]);
    return this.attempt(
      () => this.redis.mget(...keys),
      () => this.fallback.mget(keys),
    );
  }

  set(key: string, value: string, ttlSeconds: number) {
    return this.attempt(
      async () => {
        await this.redis.set(key, value, "PX", Math.max(1, Math.round(ttlSeconds * 1000)));
      },
      () => this.fallback.set(key, value, ttlSeconds),
    );
  }

  del(keys: string[]) {
    if (keys.length === 0) return Promise.resolve();
    return this.attempt(
      async () => {
        await this.redis.del(...keys);
      },
      () => this.fallback.del(keys),
    );
  }

  async delMatching(fragment: string) {
    if (/[*?[\]\\]/.test(fragment)) throw new Error("delMatching: glob characters in the fragment");
    let n = await this.fallback.delMatching(fragment);
    let cursor = "0";
    do {
      const [next, keys] = await this.redis.scan(cursor, "MATCH", `*${fragment}*`, "COUNT", 1000);
      cursor = next;
      if (keys.length) n += await this.redis.unlink(...keys);
    } while (cursor !== "0");
    return n;
  }

  incr(key: string, ttlSeconds?: number) {
    return this.attempt(
      async () => {
        if (!ttlSeconds) return this.redis.incr(key);
        const [[, n]] = (await this.redis.multi().incr(key).expire(key, ttlSeconds, "NX").exec()) as [[null, number]];
        return n;
      },
      () => this.fallback.incr(key, ttlSeconds),
    );
  }

  decr(key: string) {
    return this.attempt(
      async () => {
        // DECR on a key that expired meanwhile would create it with no TTL; only an existing counter goes down.
        await this.redis.eval("if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('DECR', KEYS[1]) end", 1, key);
      },
      () => this.fallback.decr(key),
    );
  }

  async ping() {
    try {
      await this.redis.ping();
      this.markUp();
      return true;
    } catch {
      this.markDown();
      return false;
    }
  }

  async close() {
    this.redis.disconnect();
  }
}
