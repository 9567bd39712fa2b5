import { RedisClient } from "bun";
import { GATE_LUA, type GateInput, type GateResult, gateResult, type Reply, type RequestGate } from "../../../core/src/lib/gate";
import { EPOCH_KEY } from "../../../core/src/lib/read-cache";

/**
 * For `npm run bench:alternatives` only: core's gate (the same Lua script, the same answers) on
 * Bun's own Redis client instead of ioredis, so the two can be measured side by side. No
 * fallback: a benchmark with Redis down is not one.
 */
export class BunRedisGate implements RequestGate {
  private constructor(
    private readonly redis: RedisClient,
    private readonly sha: string,
  ) {}

  static async connect(url: string): Promise<BunRedisGate> {
    const redis = new RedisClient(url);
    await redis.connect();
    const sha = (await redis.send("SCRIPT", ["LOAD", GATE_LUA])) as string;
    return new BunRedisGate(redis, sha);
  }

  async check(g: GateInput): Promise<GateResult> {
    const keys = [g.ipKey, g.userKey, g.writeKey, g.denyKey ?? g.writeKey, EPOCH_KEY, g.versionKey];
    const args = [g.ipRule.limit, g.ipRule.periodMs, g.userRule.limit, g.userRule.periodMs, g.denyKey ? "1" : "0", 1, 0].map(String);
    return gateResult((await this.redis.send("EVALSHA", [this.sha, "6", ...keys, ...args])) as Reply, g);
  }

  /** The write's bump and mark go through core's key-value store (ioredis), as without this gate. */
  async recordWrite(): Promise<number | null> {
    return null;
  }

  async close(): Promise<void> {
    this.redis.close();
  }
}
