import { describe, expect, test } from "bun:test";
import { MemoryKV } from "./kv";

describe("memory KV", () => {
  test("expires keys and counts", async () => {
    let now = 0;
    const kv = new MemoryKV(100, () => now);
    await kv.set("a", "1", 10);
    expect(await kv.incr("n", 5)).toBe(1);
    expect(await kv.incr("n", 5)).toBe(2);
    now = 5_000;
    expect(await kv.get("n")).toBeNull();
    expect(await kv.get("a")).toBe("1");
    now = 10_000;
    expect(await kv.mget(["a", "n"])).toEqual([null, null]);
  });

  test("evicts the oldest key when full", async () => {
    const kv = new MemoryKV(2);
    await kv.set("a", "1", 60);
    await kv.set("b", "2", 60);
    await kv.set("c", "3", 60);
    expect(await kv.mget(["a", "b", "c"])).toEqual([null, "2", "3"]);
  });

  test("sweeps expired keys nobody reads again", async () => {
    let now = 0;
    const kv = new MemoryKV(Number.POSITIVE_INFINITY, () => now);
    await kv.set("short", "1", 1);
    await kv.set("long", "1", 60);
    now = 2_000;
    expect(kv.sweep()).toBe(1);
    expect(kv.size).toBe(1);
    expect(await kv.get("long")).toBe("1");
  });

  test("with no key limit nothing is evicted, however many keys", async () => {
    const kv = new MemoryKV(Number.POSITIVE_INFINITY);
    await kv.set("deny", "1", 60);
    for (let i = 0; i < 60_000; i++) await kv.set(`k${i}`, "x", 60);
    expect(await kv.get("deny")).toBe("1");
  });
});
