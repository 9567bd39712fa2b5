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
});
