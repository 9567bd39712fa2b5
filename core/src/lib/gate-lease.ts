import type DataLoader from "dataloader";
import type Redis from "ioredis";
import { type GateInput, type GateResult, GIVE_BACK_LUA, type RedisGate, type RequestGate } from "./gate";
import type { RateDecision } from "./gcra";
import { batchedPerTurn } from "./per-turn";
import { EPOCH_KEY } from "./read-cache";

/**
 * Requests' worth of both rate limits that this process charged in Redis at once, for one user
 * from one address with one login, spent locally until they run out or `until`.
 */
interface Lease {
  input: GateInput;
  left: number;
  granted: number;
  until: number;
  first: GateResult;
}

export interface LeaseOptions {
  /** How long a lease may be spent (GATE_LEASE_MS); unused requests are given back by the next. */
  leaseMs: number;
  /** The most requests one lease may take (never more than 1/20 of the smaller limit). */
  maxPerLease?: number;
}

const MAX_LEASES = 50_000;
/** Waits for other requests' leases before a request asks Redis for itself (leases double meanwhile). */
const MAX_WAITS = 4;
/** Expired leases whose unused requests go back to Redis in one script. */
const GIVE_BACK_BATCH = 500;

// For each key: ARGV holds its limit, period and how many requests to give back.
const GIVE_BACK_MANY_LUA = `${GIVE_BACK_LUA}
for i = 1, #KEYS do
  local a = (i - 1) * 3
  giveBack(KEYS[i], tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3]))
end`;

type GiveBackRedis = Redis & { tccGiveBack(...keysThenArgs: (string | number)[]): Promise<unknown> };

/**
 * The request gate of a busy process: one Redis round trip per turn of the event loop instead
 * of one script per request.
 *
 * - Rate limits come from leases: a process charges several requests of a user at once in Redis
 *   (the gate script with a cost) and spends them locally. Limits are never exceeded: every
 *   request answered was charged before. Unused requests are given back by the key's next lease,
 *   or by a sweep every GATE_LEASE_MS once the lease has expired; a lease's size follows recent
 *   use (2, 4, 8 ... while leases run out early, at most 1/20 of the limit). Near the limit no
 *   lease is granted and each request asks Redis, as before.
 * - Everything else a request needs (logout denylist, recent-write mark, read-cache versions) is
 *   read for it after it arrived, so logouts and writes on any process count at once: the reads
 *   of all requests that arrive in the same turn go out as one MGET (DataLoader without its
 *   cache: each read is fresh, only batched).
 */
export class LeasedGate implements RequestGate {
  private readonly leases = new Map<string, Lease>();
  private readonly pending = new Map<string, Promise<unknown>>();
  private readonly reads: DataLoader<string, string | null>;
  private readonly sweeper: ReturnType<typeof setInterval>;

  constructor(
    /** The gate asked when no lease is left (public for the benchmarks). */
    readonly redisGate: RedisGate,
    redis: Redis,
    private readonly options: LeaseOptions,
    /** Whether Redis answers: the fallback's answers are never leased. */
    private readonly redisHealthy: () => boolean,
  ) {
    this.reads = batchedPerTurn((keys) => redis.mget(...keys));
    redis.defineCommand("tccGiveBack", { lua: GIVE_BACK_MANY_LUA });
    // A user who stops leaves a lease behind: what it did not use goes back once it has expired.
    this.sweeper = setInterval(() => this.giveBackExpired(redis as GiveBackRedis), Math.max(options.leaseMs, 100));
    this.sweeper.unref();
  }

  async check(g: GateInput): Promise<GateResult> {
    if (!this.usable()) return this.redisGate.check(g);
    const key = `${g.ipKey} ${g.userKey}`;
    for (let waits = 0; ; waits++) {
      const lease = this.spend(key);
      if (lease) return this.withFreshState(g, lease);
      const inFlight = this.pending.get(key);
      if (!inFlight || waits >= MAX_WAITS) break;
      await inFlight.catch(() => {});
    }
    const taking = this.take(key, g);
    if (!this.pending.has(key)) {
      this.pending.set(key, taking);
      taking.finally(() => this.pending.delete(key)).catch(() => {});
    }
    return taking;
  }

  private usable(): boolean {
    return this.options.leaseMs > 0 && this.redisHealthy();
  }

  /** Takes one request from the key's lease; null if there is none left. */
  private spend(key: string): Lease | null {
    const lease = this.leases.get(key);
    if (!lease || lease.left <= 0 || Date.now() >= lease.until) return null;
    lease.left--;
    return lease;
  }

  /** The request's own reads of the denylist, the write mark and the versions, batched with others. */
  private async withFreshState(g: GateInput, lease: Lease): Promise<GateResult> {
    const keys = [EPOCH_KEY, g.versionKey, g.writeKey];
    if (g.denyKey) keys.push(g.denyKey);
    let values: (string | null | Error)[];
    try {
      values = await this.reads.loadMany(keys);
    } catch {
      values = [new Error("unreachable")];
    }
    if (values.some((v) => v instanceof Error)) return this.redisGate.check(g); // its fallback knows what to do
    const [epoch, version, write, deny] = values as (string | null)[];
    return {
      ip: spent(lease.first.ip, lease),
      user: lease.first.user && spent(lease.first.user, lease),
      revoked: deny != null,
      recentWrite: write != null,
      cacheStamp: { epoch: Number(epoch ?? 0), version: Number(version ?? 0), at: Date.now() },
      granted: 0,
    };
  }

  /** One round trip: gives back what the key's last lease did not use and asks for the next. */
  private async take(key: string, g: GateInput): Promise<GateResult> {
    const previous = this.leases.get(key);
    const cost = this.nextSize(previous, g);
    const unused = previous && previous.left > 0 ? previous.left : 0;
    if (previous) previous.left = 0; // given back below: never spent again
    const result = await this.redisGate.check(g, { cost, unused });
    if (result.granted === 0) {
      // Refused while other requests of the key took leases meanwhile: spend theirs.
      const lease = result.revoked ? null : this.spend(key);
      return lease ? this.withFreshState(g, lease) : result;
    }
    if (result.granted === 1 || !result.cacheStamp) return result;
    // A lease another request took meanwhile (several asked at once) joins this one: its
    // requests were charged too, and must be spent or given back.
    const meanwhile = this.leases.get(key);
    const joined = meanwhile && meanwhile !== previous && Date.now() < meanwhile.until ? meanwhile.left : 0;
    if (meanwhile) meanwhile.left = 0;
    if (this.leases.size >= MAX_LEASES && !meanwhile) this.leases.delete(this.leases.keys().next().value as string);
    this.leases.delete(key);
    const lease: Lease = {
      input: g,
      left: result.granted - 1 + joined,
      granted: result.granted + joined,
      until: Date.now() + this.options.leaseMs,
      first: result,
    };
    this.leases.set(key, lease);
    return { ...result, ip: spent(result.ip, lease), user: result.user && spent(result.user, lease) };
  }

  /** Twice the last lease if it ran out early, else as many as it was used; within the cap. */
  private nextSize(previous: Lease | undefined, g: GateInput): number {
    const cap = Math.min(this.options.maxPerLease ?? Number.POSITIVE_INFINITY, Math.floor(Math.min(g.ipRule.limit, g.userRule.limit) / 20));
    if (cap < 2) return 1;
    if (!previous) return 2;
    const used = previous.granted - previous.left;
    const ranOut = previous.left === 0 && Date.now() < previous.until;
    return Math.max(1, Math.min(cap, ranOut ? previous.granted * 2 : used));
  }

  recordWrite(userId: string, windowMs: number): Promise<number | null> {
    return this.redisGate.recordWrite(userId, windowMs);
  }

  /** Drops expired leases, returning their unused requests to both budgets. */
  private giveBackExpired(redis: GiveBackRedis): void {
    const now = Date.now();
    let keys: string[] = [];
    let args: number[] = [];
    const send = () => {
      if (keys.length) redis.tccGiveBack(keys.length, ...keys, ...args).catch(() => {});
      keys = [];
      args = [];
    };
    for (const [key, lease] of this.leases) {
      if (lease.until > now) continue;
      this.leases.delete(key);
      if (lease.left <= 0) continue;
      const { ipKey, ipRule, userKey, userRule } = lease.input;
      keys.push(ipKey, userKey);
      args.push(ipRule.limit, ipRule.periodMs, lease.left, userRule.limit, userRule.periodMs, lease.left);
      lease.left = 0;
      if (keys.length >= GIVE_BACK_BATCH * 2) send();
    }
    send();
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.leases.clear();
  }
}

/** A lease's decision as of now: the requests it still holds are the user's too. */
function spent(first: RateDecision, lease: Lease): RateDecision {
  return { ...first, remaining: first.remaining + lease.left };
}
