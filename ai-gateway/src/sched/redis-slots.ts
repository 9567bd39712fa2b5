import type Redis from "ioredis";
import type { Logger } from "../lib/logger";
import type { SlotBackend } from "./slots";

const KEY = "tcc:ai:slots:";
const CHANNEL = "tcc:ai:slots:released";

// A slot is a member of the node's sorted set scored by its lease's end (Redis's clock, so
// replicas' clocks never matter). Expired leases are the slots of a crashed gateway: swept
// before counting.
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[2])
  return 1
end
return 0`;

// XX: a lease that already expired (this process stalled past it) is not silently revived.
const RENEW = `
local t = redis.call('TIME')
local until_ = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[1])
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], 'XX', until_, ARGV[i]) end
return 0`;

const RELEASE = `
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('PUBLISH', KEYS[2], ARGV[2])
return 0`;

/** Slots shared by every gateway replica through Redis, woken by pub/sub on release. */
export class RedisSlots implements SlotBackend {
  readonly shared = true;
  private readonly listeners: ((node: string) => void)[] = [];

  constructor(
    private readonly redis: Redis,
    private readonly subscriber: Redis,
    private readonly leaseMs: number,
    private readonly logger: Logger,
  ) {
    subscriber.subscribe(CHANNEL).catch((err: Error) => logger.warn({ err: err.message }, "slot channel subscribe failed"));
    subscriber.on("message", (_channel: string, node: string) => {
      for (const l of this.listeners) l(node);
    });
  }

  async tryAcquire(node: string, limit: number, token: string): Promise<boolean> {
    try {
      return (await this.redis.eval(ACQUIRE, 1, KEY + node, limit, token, this.leaseMs)) === 1;
    } catch (err) {
      // Without Redis no replica can know the node's load: wait (queued) rather than overload it.
      this.logger.warn({ err: (err as Error).message }, "slot acquire failed");
      return false;
    }
  }

  release(node: string, token: string): void {
    this.redis.eval(RELEASE, 2, KEY + node, CHANNEL, token, node).catch((err: Error) => {
      // The lease expires on its own; only the wake-up is lost.
      this.logger.warn({ err: err.message }, "slot release failed");
    });
  }

  renew(held: Map<string, string[]>): void {
    for (const [node, tokens] of held) {
      if (!tokens.length) continue;
      this.redis.eval(RENEW, 1, KEY + node, this.leaseMs, ...tokens).catch(() => {});
    }
  }

  onRelease(listener: (node: string) => void): void {
    this.listeners.push(listener);
  }

  async close(): Promise<void> {
    await this.subscriber.quit().catch(() => {});
  }
}
