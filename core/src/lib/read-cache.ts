import type { KV } from "./kv";
import { SizedLru } from "./lru";
import type { Metrics } from "./metrics";

/** Bumped after a Redis outage: every cached read made before it is void. */
export const EPOCH_KEY = "tcc:epoch";

/**
 * Cache-aside for hot per-user reads. Every key embeds the user's data version; any write by
 * the user bumps it, so all their cached reads go stale at once without tracking keys.
 * Writes made while Redis was down bump only process memory, so RedisKV bumps a global epoch
 * when Redis comes back (see EPOCH_KEY); the epoch is part of every key too.
 *
 * Because a key names one version of the data, its value never changes: each process keeps
 * recently used values in memory too (`local`), so a warm read moves only the two small
 * version counters over the network, not the cached JSON. The local copy is used only while
 * the versions come from a healthy Redis, never from the outage fallback.
 */
export class ReadCache {
  constructor(
    private readonly kv: KV,
    private readonly metrics: Metrics,
    private readonly ttlSeconds: number,
    private readonly enabled = true,
    localBytes = 32 * 1024 * 1024,
  ) {
    this.local = new SizedLru(localBytes, ttlSeconds * 1000);
  }

  private readonly local: SizedLru<unknown>;

  private versionKey(userId: string) {
    return `tcc:v:${userId}`;
  }

  async getOrLoad<T>(userId: string, name: string, args: string, load: () => Promise<T>): Promise<T> {
    if (!this.enabled) return load();
    const [epoch, version] = await this.kv.mget([EPOCH_KEY, this.versionKey(userId)]);
    const key = `tcc:c:${userId}:${epoch ?? 0}.${version ?? 0}:${name}:${args}`;
    const useLocal = this.kv.kind === "redis" && this.kv.healthy;
    const local = useLocal ? (this.local.get(key) as T | undefined) : undefined;
    if (local !== undefined) {
      this.metrics.cache.inc({ cache: name, result: "hit" });
      return local;
    }
    const cached = await this.kv.get(key);
    if (cached !== null) {
      this.metrics.cache.inc({ cache: name, result: "hit" });
      const value = JSON.parse(cached) as T;
      if (useLocal) this.local.set(key, value, cached.length);
      return value;
    }
    this.metrics.cache.inc({ cache: name, result: "miss" });
    const value = await load();
    const json = JSON.stringify(value);
    await this.kv.set(key, json, this.ttlSeconds);
    if (useLocal) this.local.set(key, value, json.length);
    return value;
  }

  /** Invalidates every cached read of this user. */
  async bump(userId: string): Promise<void> {
    await this.kv.incr(this.versionKey(userId));
  }
}
