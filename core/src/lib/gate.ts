import type Redis from "ioredis";
import type { RateDecision, RateRule } from "./gcra";
import type { KV } from "./kv";
import { MemoryRateLimiter, type RateLimiter } from "./rate-limit";
import { type CacheStamp, EPOCH_KEY } from "./read-cache";

/**
 * Everything an authenticated request needs from Redis before its handler runs: the per-IP
 * and per-user rate limits, whether its login was revoked, and whether the user wrote
 * recently on another core process. RedisGate answers all of it in one round trip.
 */
export interface GateInput {
  ipKey: string;
  ipRule: RateRule;
  userKey: string;
  userRule: RateRule;
  /** Absent for API keys, which are revoked in the database. */
  denyKey?: string;
  writeKey: string;
  /** The user's read-cache version counter (ReadCache.versionKey): read in the same round trip. */
  versionKey: string;
}

export interface GateResult {
  ip: RateDecision;
  /** null when the IP limit already refused the request (the user's budget is not charged). */
  user: RateDecision | null;
  revoked: boolean;
  recentWrite: boolean;
  /**
   * The user's read-cache stamp (global epoch and user version) as Redis had it when the gate
   * ran; null when the gate was answered without Redis (the read cache then asks for itself).
   */
  cacheStamp: CacheStamp | null;
}

export interface RequestGate {
  check(input: GateInput): Promise<GateResult>;
}

/** The same answers from separate calls: the embedded default, and RedisGate's fallback. */
export class SeparateGate implements RequestGate {
  constructor(
    private readonly limiter: RateLimiter,
    private readonly kv: KV,
    /** Where the logout denylist lives (the embedded default keeps it apart from the evictable cache). */
    private readonly security: KV = kv,
  ) {}

  async check(g: GateInput): Promise<GateResult> {
    const ip = await this.limiter.check(g.ipKey, g.ipRule);
    if (!ip.allowed) return { ip, user: null, revoked: false, recentWrite: false, cacheStamp: null };
    const user = await this.limiter.check(g.userKey, g.userRule);
    const [write, deny] = await Promise.all([this.kv.get(g.writeKey), g.denyKey ? this.security.get(g.denyKey) : null]);
    return { ip, user, revoked: deny != null, recentWrite: write != null, cacheStamp: null };
  }
}

// gcra() from gcra.ts, twice, on Redis's clock; then the two flags and the read-cache stamp.
// Refused requests consume nothing.
export const GATE_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function gcra(key, limit, period)
  local interval = period / limit
  local tat = tonumber(redis.call('GET', key) or now)
  local base = math.max(tat, now)
  local nxt = base + interval
  local allow_at = nxt - period
  if now < allow_at then return {0, 0, math.ceil(base - now), math.ceil(allow_at - now)} end
  redis.call('SET', key, tostring(nxt), 'PX', math.ceil(nxt - now) + 1)
  return {1, math.max(0, math.floor((period - (nxt - now)) / interval)), math.ceil(nxt - now), 0}
end
local ip = gcra(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]))
if ip[1] == 0 then return {ip, {}, 0, 0} end
local user = gcra(KEYS[2], tonumber(ARGV[3]), tonumber(ARGV[4]))
local write = redis.call('EXISTS', KEYS[3])
local denied = 0
if ARGV[5] == '1' then denied = redis.call('EXISTS', KEYS[4]) end
local stamp = redis.call('MGET', KEYS[5], KEYS[6])
return {ip, user, denied, write, stamp[1] or '0', stamp[2] or '0'}
`;

type Row = [number, number, number, number];
/** A refused request stops after the IP row. */
export type Reply = [Row, Row | [], number, number, string?, string?];
type GateRedis = Redis & {
  tccGate(
    ip: string,
    user: string,
    write: string,
    deny: string,
    epoch: string,
    version: string,
    ...args: (string | number)[]
  ): Promise<Reply>;
};

const decision = ([allowed, remaining, resetMs, retryAfterMs]: Row, rule: RateRule): RateDecision => ({
  allowed: allowed === 1,
  limit: rule.limit,
  remaining,
  resetMs,
  retryAfterMs,
});

export class RedisGate implements RequestGate {
  private readonly redis: GateRedis;
  private readonly fallback: SeparateGate;

  /** `kv` should be the RedisKV: when Redis fails, its reads fall back to process memory. */
  constructor(redis: Redis, kv: KV) {
    redis.defineCommand("tccGate", { numberOfKeys: 6, lua: GATE_LUA });
    this.redis = redis as GateRedis;
    this.fallback = new SeparateGate(new MemoryRateLimiter(), kv);
  }

  async check(g: GateInput): Promise<GateResult> {
    let reply: Reply;
    try {
      reply = await this.redis.tccGate(
        g.ipKey,
        g.userKey,
        g.writeKey,
        g.denyKey ?? g.writeKey,
        EPOCH_KEY,
        g.versionKey,
        g.ipRule.limit,
        g.ipRule.periodMs,
        g.userRule.limit,
        g.userRule.periodMs,
        g.denyKey ? "1" : "0",
      );
    } catch {
      return this.fallback.check(g);
    }
    return gateResult(reply, g);
  }
}

/** GATE_LUA's reply as the request gate's answer. */
export function gateResult([ip, user, denied, write, epoch, version]: Reply, g: GateInput): GateResult {
  return {
    ip: decision(ip, g.ipRule),
    user: user.length ? decision(user as Row, g.userRule) : null,
    revoked: denied === 1,
    recentWrite: write === 1,
    cacheStamp: epoch === undefined ? null : { epoch: Number(epoch), version: Number(version), at: Date.now() },
  };
}
