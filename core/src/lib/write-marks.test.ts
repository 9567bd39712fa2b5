import { afterAll, describe, expect, test } from "bun:test";
import Redis from "ioredis";
import { ReadCache } from "./read-cache";
import { recentWriteKey, WriteMarks } from "./write-marks";

const redis = new Redis(process.env.REDIS_URL as string);
afterAll(() => redis.disconnect());
const version = async (userId: string) => Number(await redis.get(ReadCache.versionKey(userId)));

describe("write marks", () => {
  test("writes finishing in one turn share one bump per user, each with its mark", async () => {
    const marks = new WriteMarks(redis);
    const [u, v] = [`wm-${crypto.randomUUID()}`, `wm-${crypto.randomUUID()}`];
    const got = await Promise.all([...Array.from({ length: 6 }, () => marks.record(u, 5_000)), marks.record(v, 0)]);
    expect(got).toEqual([1, 1, 1, 1, 1, 1, 1]);
    expect(await version(u)).toBe(1);
    expect(await version(v)).toBe(1);
    const ttl = await redis.pttl(recentWriteKey(u));
    expect(ttl).toBeGreaterThan(4_000);
    expect(ttl).toBeLessThanOrEqual(5_000);
    expect(await redis.exists(recentWriteKey(v))).toBe(0); // a window of 0 sets no mark
    // A later write is a later bump.
    expect(await marks.record(u, 5_000)).toBe(2);
    expect(await version(u)).toBe(2);
  });

  test("without Redis every write is told to take the key-value store's way", async () => {
    const down = new Redis("redis://127.0.0.1:1", {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    const marks = new WriteMarks(down);
    expect(await Promise.all([marks.record("a", 1_000), marks.record("b", 1_000)])).toEqual([null, null]);
    down.disconnect();
  });
});
