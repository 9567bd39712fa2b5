import type Redis from "ioredis";
import type { RateDecision, RateRule } from "./gcra";
import type { KV } from "./kv";
import { MemoryRateLimiter, type RateLimiter } from "./rate-limit";
import { type CacheStamp, EPOCH_KEY } from "./read-cache";
import { WriteMarks } from "./write-marks";

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
  /** How many requests' worth both limits were charged (more than 1 only for a lease). */
  granted: number;
}

export interface RequestGate {
  check(input: GateInput): Promise<GateResult>;
  /**
   * After a user's write commits: bumps their read-cache version, marks them as a recent writer
   * for `windowMs`, in one round trip shared by the writes of the same turn. Returns the new
   * version, or null when this gate cannot (no Redis): the caller then does it through the KV.
   */
  recordWrite(userId: string, windowMs: number): Promise<number | null>;
  close(): Promise<void>;
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
    if (!ip.allowed) return { ip, user: null, revoked: false, recentWrite: false, cacheStamp: null, granted: 0 };
    const user = await this.limiter.check(g.userKey, g.userRule);
    const [write, deny] = await Promise.all([this.kv.get(g.writeKey), g.denyKey ? this.security.get(g.denyKey) : null]);
    return { ip, user, revoked: deny != null, recentWrite: write != null, cacheStamp: null, granted: user.allowed ? 1 : 0 };
  }

  async recordWrite(): Promise<number | null> {
    return null;
  }

  async close(): Promise<void> {}
}

/** Redis's clock, and GCRA's inverse: `giveBack` returns n unused requests to a key's budget. */
export const GIVE_BACK_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function store(key, tat)
  if tat > now then redis.call('SET', key, tostring(tat), 'PX', math.ceil(tat - now) + 1) else redis.call('DEL', key) end
end
local function giveBack(key, limit, period, n)
  local tat = tonumber(redis.call('GET', key) or now)
  store(key, math.max(now, tat - n * period / limit))
end`;

// gcra() from gcra.ts, twice, on Redis's clock; then the two flags and the read-cache stamp.
// Refused requests consume nothing. ARGV[6] asks for that many requests' worth at once (a lease,
// see gate-lease.ts): granted only if both limits allow all of it, else the script answers for
// this one request as usual. ARGV[7] gives back an earlier lease's unused requests first.
export const GATE_LUA = `${GIVE_BACK_LUA}
local function gcra(key, limit, period, cost)
  local interval = period / limit
  local tat = tonumber(redis.call('GET', key) or now)
  local base = math.max(tat, now)
  local nxt = base + interval * cost
  local allow_at = nxt - period
  if now < allow_at then return {0, 0, math.ceil(base - now), math.ceil(allow_at - now)}, nxt end
  return {1, math.max(0, math.floor((period - (nxt - now)) / interval)), math.ceil(nxt - now), 0}, nxt
end
local ipLimit, ipPeriod = tonumber(ARGV[1]), tonumber(ARGV[2])
local userLimit, userPeriod = tonumber(ARGV[3]), tonumber(ARGV[4])
local cost, unused = tonumber(ARGV[6] or '1'), tonumber(ARGV[7] or '0')
if unused > 0 then
  giveBack(KEYS[1], ipLimit, ipPeriod, unused)
  giveBack(KEYS[2], userLimit, userPeriod, unused)
end
local ip, ipNext, user, userNext
if cost > 1 then
  ip, ipNext = gcra(KEYS[1], ipLimit, ipPeriod, cost)
  user, userNext = gcra(KEYS[2], userLimit, userPeriod, cost)
  if ip[1] == 0 or user[1] == 0 then cost = 1 end
end
if cost == 1 then
  ip, ipNext = gcra(KEYS[1], ipLimit, ipPeriod, 1)
  if ip[1] == 0 then return {ip, {}, 0, 0} end
  store(KEYS[1], ipNext)
  user, userNext = gcra(KEYS[2], userLimit, userPeriod, 1)
  if user[1] == 1 then store(KEYS[2], userNext) end
else
  store(KEYS[1], ipNext)
  store(KEYS[2], userNext)
end
local write = redis.call('EXISTS', KEYS[3])
local denied = 0
if ARGV[5] == '1' then denied = redis.call('EXISTS', KEYS[4]) end
local stamp = redis.call('MGET', KEYS[5], KEYS[6])
return {ip, user, denied, write, stamp[1] or '0', stamp[2] or '0', cost}
`;

type Row = [number, number, number, number];
/** A refused request stops after the IP row. */
export type Reply = [Row, Row | [], number, number, string?, string?, number?];
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

/** A lease request (gate-lease.ts): charge `cost` requests at once, after giving back `unused`. */
export interface LeaseAsk {
  cost: number;
  unused: number;
}

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
  private readonly writes: WriteMarks;

  /** `kv` should be the RedisKV: when Redis fails, its reads fall back to process memory. */
  constructor(redis: Redis, kv: KV) {
    redis.defineCommand("tccGate", { numberOfKeys: 6, lua: GATE_LUA });
    this.writes = new WriteMarks(redis);
    this.redis = redis as GateRedis;
    this.fallback = new SeparateGate(new MemoryRateLimiter(), kv);
  }

  /** Answers without Redis (the fallback) are never leased: `granted` is 1 there. */
  async check(g: GateInput, lease: LeaseAsk = { cost: 1, unused: 0 }): Promise<GateResult> {
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
        lease.cost,
        lease.unused,
      );
    } catch {
      return this.fallback.check(g);
    }
    return gateResult(reply, g);
  }

  recordWrite(userId: string, windowMs: number): Promise<number | null> {
    return this.writes.record(userId, windowMs);
  }

  async close(): Promise<void> {}
}

/** GATE_LUA's reply as the request gate's answer. */
export function gateResult([ip, user, denied, write, epoch, version, granted]: Reply, g: GateInput): GateResult {
  return {
    ip: decision(ip, g.ipRule),
    user: user.length ? decision(user as Row, g.userRule) : null,
    revoked: denied === 1,
    recentWrite: write === 1,
    cacheStamp: epoch === undefined ? null : { epoch: Number(epoch), version: Number(version), at: Date.now() },
    granted: user.length && user[0] === 1 ? (granted ?? 1) : 0,
  };
}
