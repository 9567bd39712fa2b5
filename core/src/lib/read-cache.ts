import type { KV } from "./kv";
import type { Metrics } from "./metrics";

/** Bumped after a Redis outage: every cached read made before it is void. */
export const EPOCH_KEY = "tcc:epoch";

/**
 * Cache-aside for hot per-user reads. Every key embeds the user's data version; any write by
 * the user bumps it, so all their cached reads go stale at once without tracking keys.
 * Writes made while Redis was down bump only process memory, so RedisKV bumps a global epoch
 * when Redis comes back (see EPOCH_KEY); the epoch is part of every key too.
 */
export class ReadCache {
  constructor(
    private readonly kv: KV,
    private readonly metrics: Metrics,
    private readonly ttlSeconds: number,
    private readonly enabled = true,
  ) {}

  private versionKey(userId: string) {
    return `tcc:v:${userId}`;
  }

  async getOrLoad<T>(userId: string, name: string, args: string, load: () => Promise<T>): Promise<T> {
    if (!this.enabled) return load();
    const [epoch, version] = await this.kv.mget([EPOCH_KEY, this.versionKey(userId)]);
    const key = `tcc:c:${userId}:${epoch ?? 0}.${version ?? 0}:${name}:${args}`;
    const cached = await this.kv.get(key);
    if (cached !== null) {
      this.metrics.cache.inc({ cache: name, result: "hit" });
      return JSON.parse(cached) as T;
    }
    this.metrics.cache.inc({ cache: name, result: "miss" });
    const value = await load();
    await this.kv.set(key, JSON.stringify(value), this.ttlSeconds);
    return value;
  }

  /** Invalidates every cached read of this user. */
  async bump(userId: string): Promise<void> {
    await this.kv.incr(this.versionKey(userId));
  }
}
