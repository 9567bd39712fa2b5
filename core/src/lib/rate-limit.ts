import type Redis from "ioredis";
import { gcra, type RateDecision, type RateRule } from "./gcra";

export interface RateLimiter {
  check(key: string, rule: RateRule): Promise<RateDecision>;
}

export class MemoryRateLimiter implements RateLimiter {
  private readonly tats = new Map<string, { tat: number; expiresAt: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  async check(key: string, rule: RateRule) {
    const now = this.now();
    const slot = this.tats.get(key);
    const { decision, tat } = gcra(slot && slot.expiresAt > now ? slot.tat : null, now, rule);
    if (tat !== null) this.tats.set(key, { tat, expiresAt: tat });
    if (this.tats.size > 100_000) this.sweep(now);
    return decision;
  }

  private sweep(now: number) {
    for (const [k, v] of this.tats) if (v.expiresAt <= now) this.tats.delete(k);
  }
}

// The gcra() math in Lua, using Redis's clock so every core replica agrees on "now".
const GCRA_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
local interval = period / limit
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
local base = math.max(tat, now)
local nxt = base + interval
local allow_at = nxt - period
if now < allow_at then
  return {0, 0, math.ceil(base - now), math.ceil(allow_at - now)}
end
redis.call('SET', KEYS[1], tostring(nxt), 'PX', math.ceil(nxt - now) + 1)
return {1, math.max(0, math.floor((period - (nxt - now)) / interval)), math.ceil(nxt - now), 0}
`;

type GcraRedis = Redis & { tccGcra(key: string, limit: number, periodMs: number): Promise<[number, number, number, number]> };

/** Limits shared by all replicas through Redis; falls back to this process's memory when Redis is down. */
export class RedisRateLimiter implements RateLimiter {
  private readonly fallback = new MemoryRateLimiter();
  private readonly redis: GcraRedis;

  constructor(redis: Redis) {
    redis.defineCommand("tccGcra", { numberOfKeys: 1, lua: GCRA_LUA });
    this.redis = redis as GcraRedis;
  }

  async check(key: string, rule: RateRule): Promise<RateDecision> {
    try {
      const [allowed, remaining, resetMs, retryAfterMs] = await this.redis.tccGcra(key, rule.limit, rule.periodMs);
      return { allowed: allowed === 1, limit: rule.limit, remaining, resetMs, retryAfterMs };
    } catch {
      return this.fallback.check(key, rule);
    }
  }
}
