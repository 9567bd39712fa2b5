import type DataLoader from "dataloader";
import type Redis from "ioredis";
import { batchedPerTurn } from "./per-turn";
import { ReadCache } from "./read-cache";

/** Present in Redis for DB_READ_YOUR_WRITES_MS after a user's write, seen by every core process. */
export const recentWriteKey = (userId: string) => `tcc:w:${userId}`;

// For each user: bump the read-cache version (KEYS[2i-1]) and set the recent-write mark
// (KEYS[2i]) for ARGV[i] ms.
const WROTE_LUA = `
local out = {}
for i = 1, #KEYS, 2 do
  out[#out + 1] = redis.call('INCR', KEYS[i])
  local window = tonumber(ARGV[(i + 1) / 2])
  if window > 0 then redis.call('SET', KEYS[i + 1], '1', 'PX', window) end
end
return out
`;

interface Write {
  userId: string;
  windowMs: number;
}

type WroteRedis = Redis & { tccWroteMany(...keysThenArgs: (string | number)[]): Promise<number[]> };

/**
 * What a committed write tells Redis (RequestGate.recordWrite): the writes that finish in the
 * same turn of the event loop go as one script, one bump per user. A bump made after several
 * commits voids the cached reads of all of them, so writes of one user share it.
 */
export class WriteMarks {
  private readonly loader: DataLoader<Write, number | null>;

  constructor(redis: Redis) {
    redis.defineCommand("tccWroteMany", { lua: WROTE_LUA });
    const r = redis as WroteRedis;
    this.loader = batchedPerTurn((writes) => this.send(r, writes));
  }

  /** The user's new version, or null when Redis did not answer (the caller takes the KV's way). */
  record(userId: string, windowMs: number): Promise<number | null> {
    return this.loader.load({ userId, windowMs });
  }

  private async send(redis: WroteRedis, writes: readonly Write[]): Promise<(number | null)[]> {
    const windows = new Map<string, number>();
    for (const w of writes) windows.set(w.userId, Math.max(windows.get(w.userId) ?? 0, w.windowMs));
    const users = [...windows.keys()];
    const keys = users.flatMap((u) => [ReadCache.versionKey(u), recentWriteKey(u)]);
    try {
      const versions = await redis.tccWroteMany(keys.length, ...keys, ...users.map((u) => windows.get(u) as number));
      const byUser = new Map(users.map((u, i) => [u, versions[i] as number]));
      return writes.map((w) => byUser.get(w.userId) ?? null);
    } catch {
      return writes.map(() => null);
    }
  }
}
