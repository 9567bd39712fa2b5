import type { Metrics } from "./metrics";
import type { KV } from "./kv";

/**
 * Cache-aside for hot per-user reads. Every key embeds the user's data version; any write by
 * the user bumps it, so all their cached reads go stale at once without tracking keys.
 * Entries also carry a TTL, which bounds staleness if a bump is lost while Redis is down.
 */
export class ReadCache {
  constructor(
    private readonly kv: KV,
    private readonly metrics: Metrics,
    private readonly ttlSeconds: number,
  ) {}

  private versionKey(userId: string) {
    return `tcc:v:${userId}`;
  }

  async getOrLoad<T>(userId: string, name: string, args: string, load: () => Promise<T>): Promise<T> {
    const version = (await this.kv.get(this.versionKey(userId))) ?? "0";
    const key = `tcc:c:${userId}:${version}:${name}:${args}`;
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
