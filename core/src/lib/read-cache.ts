import type { KV } from "./kv";
import { SizedLru } from "./lru";
import type { Metrics } from "./metrics";

/** Bumped after a Redis outage: every cached read made before it is void. */
export const EPOCH_KEY = "tcc:epoch";

/** The global epoch and a user's data version, as one Redis read saw them, and when (ms epoch). */
export interface CacheStamp {
  epoch: number;
  version: number;
  at: number;
}

/** Who a cached read is for; `cacheStamp` is what the request gate read from Redis, if it did. */
export interface CacheReader {
  userId: string;
  cacheStamp?: CacheStamp | null;
}

/**
 * How long a gate's stamp stands in for reading the versions again: a request's own reads
 * follow its gate within milliseconds; a long chat turn's later tool calls ask Redis again.
 */
export const STAMP_MAX_AGE_MS = 1_000;

/**
 * The JSON text each value `getOrLoad` answered with was stored as. A route sends that text as
 * it is (`sendJson`) instead of serializing the value again: a cached page of 25 entries is 16 KB
 * of new string per request otherwise. Held weakly, by the value itself: cached values are shared
 * and never changed (a key names one version of the data).
 */
const storedAs = new WeakMap<object, string>();

/** The JSON text of a value the read cache answered with, if it was one. */
export const cachedJsonText = (value: unknown): string | undefined =>
  typeof value === "object" && value !== null ? storedAs.get(value) : undefined;

function remember<T>(value: T, json: string): T {
  if (typeof value === "object" && value !== null) storedAs.set(value, json);
  return value;
}

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
 *
 * An authenticated request has the versions already: the request gate reads them in its round
 * trip (`CacheReader.cacheStamp`), so a warm cached read makes no Redis call of its own. A
 * write made since by this process (the same request, or a concurrent one) is newer than that
 * stamp; `ownBumps` remembers each user's version after this process's last bump, and a
 * stamp older than it is not used.
 */
export class ReadCache {
  constructor(
    private readonly kv: KV,
    private readonly metrics: Metrics,
    private readonly ttlSeconds: number,
    private readonly enabled = true,
    /**
     * Where the version counters live. Not an evictable store: a counter evicted and counted again
     * from 0 would name entries cached under its old values, stale by then (the embedded default
     * passes its non-evicting security store; with Redis both are the same).
     */
    private readonly versions: KV = kv,
    localBytes = 32 * 1024 * 1024,
  ) {
    this.local = new SizedLru(localBytes, ttlSeconds * 1000);
  }

  private readonly local: SizedLru<unknown>;
  private readonly ownBumps = new Map<string, number>();

  private versionKey(userId: string) {
    return ReadCache.versionKey(userId);
  }

  /** The stamp of the request gate if it can stand for Redis now, else null. */
  private usableStamp(who: CacheReader): CacheStamp | null {
    const stamp = who.cacheStamp;
    if (!stamp || this.kv.kind !== "redis" || !this.kv.healthy) return null;
    if (Date.now() - stamp.at > STAMP_MAX_AGE_MS) return null;
    const own = this.ownBumps.get(who.userId);
    return own !== undefined && own > stamp.version ? null : stamp;
  }

  async getOrLoad<T>(who: CacheReader, name: string, args: string, load: () => Promise<T>): Promise<T> {
    if (!this.enabled) return load();
    const { userId } = who;
    const stamp = this.usableStamp(who);
    let version: string;
    if (stamp) version = `${stamp.epoch}.${stamp.version}`;
    else {
      const [e, v] = await this.versions.mget([EPOCH_KEY, this.versionKey(userId)]);
      version = `${Number(e ?? 0)}.${Number(v ?? 0)}`;
    }
    const key = `tcc:c:${userId}:${version}:${name}:${args}`;
    const useLocal = this.kv.kind === "redis" && this.kv.healthy;
    const local = useLocal ? (this.local.get(key) as T | undefined) : undefined;
    if (local !== undefined) {
      this.metrics.cache.inc({ cache: name, result: "hit" });
      return local;
    }
    const cached = await this.kv.get(key);
    if (cached !== null) {
      this.metrics.cache.inc({ cache: name, result: "hit" });
      const value = remember(JSON.parse(cached) as T, cached);
      if (useLocal) this.local.set(key, value, cached.length);
      return value;
    }
    this.metrics.cache.inc({ cache: name, result: "miss" });
    const value = await load();
    const json = JSON.stringify(value);
    await this.kv.set(key, json, this.ttlSeconds);
    if (useLocal) this.local.set(key, value, json.length);
    return remember(value, json);
  }

  /** Invalidates every cached read of this user. */
  async bump(userId: string): Promise<void> {
    const version = await this.versions.incr(this.versionKey(userId));
    if (this.versions.healthy) this.adoptOwnBump(userId, version);
  }

  /** This process bumped the user's version to `version` (here, or in the request gate's write script). */
  adoptOwnBump(userId: string, version: number): void {
    // Concurrent writes of one user may report their versions out of order: keep the highest.
    const known = this.ownBumps.get(userId) ?? 0;
    this.ownBumps.delete(userId);
    this.ownBumps.set(userId, Math.max(known, version));
    if (this.ownBumps.size > 10_000) this.ownBumps.delete(this.ownBumps.keys().next().value as string);
  }

  /** The Redis key of a user's data version (the request gate reads it too). */
  static versionKey(userId: string): string {
    return `tcc:v:${userId}`;
  }
}
