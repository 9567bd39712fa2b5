import type Redis from "ioredis";
import { GatewayError } from "./errors";
import type { Logger } from "./lib/logger";

const PREFIX = "tcc:ai:tokens:";
const FLUSH_MS = 1_000;

const day = (now: number) => new Date(now).toISOString().slice(0, 10);

/** Seconds until the next UTC midnight, when every daily quota starts over. */
export function secondsToUtcMidnight(now: number): number {
  const d = new Date(now);
  return Math.max(1, Math.ceil((Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1) - now) / 1000));
}

/**
 * Tokens per user per UTC day, from upstream usage. Counts go to Redis (shared by replicas,
 * kept two days) in batches, so the hot path never waits on them; with a quota on, a
 * request checks the user's total (Redis plus what this process has not flushed yet).
 */
export class TokenAccounting {
  private pending = new Map<string, number>();
  private readonly memory = new Map<string, number>();
  private readonly timer: Timer;

  constructor(private readonly opts: { dailyQuota: number; redis?: Redis; logger: Logger; now: () => number }) {
    this.timer = setInterval(() => void this.flush(), FLUSH_MS);
    this.timer.unref?.();
  }

  add(user: string, tokens: number): void {
    if (tokens <= 0) return;
    const key = `${day(this.opts.now())}:${user}`;
    if (!this.opts.redis) {
      this.memory.set(key, (this.memory.get(key) ?? 0) + tokens);
      return;
    }
    this.pending.set(key, (this.pending.get(key) ?? 0) + tokens);
  }

  async spentToday(user: string): Promise<number> {
    const key = `${day(this.opts.now())}:${user}`;
    if (!this.opts.redis) return this.memory.get(key) ?? 0;
    const stored = Number((await this.opts.redis.get(PREFIX + key).catch(() => null)) ?? 0);
    return stored + (this.pending.get(key) ?? 0);
  }

  /** Throws a 429 once the user's tokens for today reach the quota (0 = no quota). */
  async check(user: string): Promise<void> {
    const quota = this.opts.dailyQuota;
    if (quota === 0) return;
    const spent = await this.spentToday(user);
    if (spent < quota) return;
    const retry = secondsToUtcMidnight(this.opts.now());
    throw new GatewayError(
      "quota_exceeded",
      `Daily AI token quota spent (${spent} of ${quota} tokens); it resets at 00:00 UTC, in ${Math.ceil(retry / 60)} minutes`,
      { "retry-after": String(retry) },
    );
  }

  async flush(): Promise<void> {
    const redis = this.opts.redis;
    if (!redis || !this.pending.size) return;
    const batch = this.pending;
    this.pending = new Map();
    const multi = redis.multi();
    for (const [key, n] of batch) multi.incrby(PREFIX + key, n).expire(PREFIX + key, 2 * 86_400);
    await multi.exec().catch((err: Error) => {
      this.opts.logger.warn({ err: err.message }, "token accounting flush failed; retrying next time");
      for (const [key, n] of batch) this.pending.set(key, (this.pending.get(key) ?? 0) + n);
    });
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
