import type Redis from "ioredis";
import { LRUCache } from "lru-cache";
import type { Logger } from "../lib/logger";

/** Exact-match cache of upstream answers: Redis shared by replicas, or process memory. */
export interface ResponseCache {
  readonly kind: "redis" | "memory";
  get(key: string): Promise<Uint8Array | null>;
  getMany(keys: string[]): Promise<(Uint8Array | null)[]>;
  /** Fire and forget: a lost cache write costs one future miss, never a failed request. */
  set(key: string, value: Uint8Array, ttlS: number): void;
}

const PREFIX = "tcc:ai:cache:";

/** A collision-resistant key for a byte string (request body, or model + input). */
export function cacheKey(kind: string, ...parts: (string | Uint8Array)[]): string {
  const h = new Bun.CryptoHasher("sha256");
  for (const p of parts) {
    h.update(p);
    h.update("\0");
  }
  return `${kind}:${h.digest("base64url")}`;
}

export class RedisResponseCache implements ResponseCache {
  readonly kind = "redis";
  constructor(
    private readonly redis: Redis,
    private readonly logger: Logger,
  ) {}

  async get(key: string): Promise<Uint8Array | null> {
    return (await this.getMany([key]))[0] ?? null;
  }

  async getMany(keys: string[]): Promise<(Uint8Array | null)[]> {
    try {
      return await this.redis.mgetBuffer(...keys.map((k) => PREFIX + k));
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, "AI cache read failed; treating as a miss");
      return keys.map(() => null);
    }
  }

  set(key: string, value: Uint8Array, ttlS: number): void {
    this.redis.set(PREFIX + key, Buffer.from(value.buffer, value.byteOffset, value.byteLength), "EX", ttlS).catch(() => {});
  }
}

export class MemoryResponseCache implements ResponseCache {
  readonly kind = "memory";
  private readonly lru: LRUCache<string, Uint8Array>;
  constructor(maxBytes: number) {
    // Bounded by bytes, not entries; one huge answer must not flush everything else.
    this.lru = new LRUCache({ maxSize: maxBytes, maxEntrySize: maxBytes / 4, sizeCalculation: (v, k) => v.byteLength + k.length });
  }

  async get(key: string): Promise<Uint8Array | null> {
    return this.lru.get(key) ?? null;
  }

  async getMany(keys: string[]): Promise<(Uint8Array | null)[]> {
    return keys.map((k) => this.lru.get(k) ?? null);
  }

  set(key: string, value: Uint8Array, ttlS: number): void {
    this.lru.set(key, value, { ttl: ttlS * 1000 });
  }
}
