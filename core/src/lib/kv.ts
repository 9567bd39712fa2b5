/**
 * The small key-value surface core needs from Redis: cache entries, version counters,
 * login-failure counters and the token denylist. MemoryKV serves the embedded default and
 * stands in for Redis inside RedisKV while Redis is unreachable.
 */
export interface KV {
  get(key: string): Promise<string | null>;
  mget(keys: string[]): Promise<(string | null)[]>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  del(keys: string[]): Promise<void>;
  /** Increments and returns the counter; sets the TTL when the key is created. */
  incr(key: string, ttlSeconds?: number): Promise<number>;
  /**
   * Deletes every key containing `fragment` (which must not hold glob characters); returns how
   * many. Walks the whole keyspace: for rare, thorough clean-ups (account erasure), never a request path.
   */
  delMatching(fragment: string): Promise<number>;
  /** Gives one increment back (a reserved attempt that did not fail); a missing or expired key stays missing. */
  decr(key: string): Promise<void>;
  /** True when the backing store answers; MemoryKV always does. */
  ping(): Promise<boolean>;
  /** Whether the last command reached the backing store (no I/O). */
  readonly healthy: boolean;
  readonly kind: "redis" | "memory";
  close(): Promise<void>;
}

interface Slot {
  value: string;
  expiresAt: number; // ms epoch; Infinity when no TTL
}

/**
 * Redis's commands in process memory. With a finite `maxKeys` it is a cache: the oldest write is
 * evicted when full. Security state (logout denylist, lockout and failure counters) must never
 * be pushed out by keys anyone can create (cached 404s, unknown API keys), so it lives in its
 * own MemoryKV with `maxKeys` Infinity (see `Services.security`). Expired keys are dropped when
 * read and by `startSweeping`.
 */
export class MemoryKV implements KV {
  readonly kind = "memory" as const;
  readonly healthy = true;
  // Map keeps insertion order, so the oldest key is evicted first when full.
  private readonly map = new Map<string, Slot>();
  private sweeper: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly maxKeys = 50_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Drops every expired key now; returns how many. */
  sweep(): number {
    const now = this.now();
    let dropped = 0;
    for (const [key, slot] of this.map) {
      if (slot.expiresAt <= now) {
        this.map.delete(key);
        dropped++;
      }
    }
    return dropped;
  }

  /** Sweeps every `intervalMs` until closed, so keys nobody reads again do not stay forever. */
  startSweeping(intervalMs: number): this {
    this.sweeper ??= setInterval(() => this.sweep(), intervalMs);
    this.sweeper.unref?.();
    return this;
  }

  get size(): number {
    return this.map.size;
  }

  async get(key: string) {
    return this.read(key);
  }

  async mget(keys: string[]) {
    return keys.map((k) => this.read(k));
  }

  async set(key: string, value: string, ttlSeconds: number) {
    this.write(key, value, this.now() + ttlSeconds * 1000);
  }

  async del(keys: string[]) {
    for (const k of keys) this.map.delete(k);
  }

  async delMatching(fragment: string) {
    let n = 0;
    for (const k of [...this.map.keys()]) if (k.includes(fragment) && this.map.delete(k)) n++;
    return n;
  }

  async incr(key: string, ttlSeconds?: number) {
    const current = this.read(key);
    const next = (current === null ? 0 : Number(current)) + 1;
    const expiresAt =
      current === null ? (ttlSeconds ? this.now() + ttlSeconds * 1000 : Number.POSITIVE_INFINITY) : (this.map.get(key) as Slot).expiresAt;
    this.write(key, String(next), expiresAt);
    return next;
  }

  async decr(key: string) {
    const current = this.read(key);
    if (current === null) return;
    const slot = this.map.get(key) as Slot;
    slot.value = String(Number(current) - 1);
  }

  async ping() {
    return true;
  }

  async close() {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
    this.clear();
  }

  clear() {
    this.map.clear();
  }

  private read(key: string): string | null {
    const slot = this.map.get(key);
    if (!slot) return null;
    if (slot.expiresAt <= this.now()) {
      this.map.delete(key);
      return null;
    }
    return slot.value;
  }

  private write(key: string, value: string, expiresAt: number) {
    this.map.delete(key);
    this.map.set(key, { value, expiresAt });
    if (this.map.size > this.maxKeys) {
      const oldest = this.map.keys().next().value;
      if (oldest !== undefined) this.map.delete(oldest);
    }
  }
}
