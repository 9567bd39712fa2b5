import { describe, expect, test } from "bun:test";
import { MemoryKV } from "./kv";
import type { Metrics } from "./metrics";
import { cachedJsonText, ReadCache } from "./read-cache";

// Only the hit/miss counter is touched; the cache under test and its stores are real.
const metrics = { cache: { inc() {} } } as unknown as Metrics;
const CAPACITY = 4;

/**
 * A write, keys of others, a cached read, one more key (which evicts the oldest: the version
 * counter), another write (whose counter evicts the oldest of the others), then a read.
 */
async function afterFlood(cache: ReadCache, store: MemoryKV): Promise<unknown> {
  await cache.bump("u");
  for (let i = 0; i < CAPACITY - 2; i++) await store.set(`other:${i}`, "x", 60);
  expect(await cache.getOrLoad({ userId: "u" }, "list", "", async () => "before")).toBe("before");
  await store.set("other:last", "x", 60);
  await cache.bump("u");
  return cache.getOrLoad({ userId: "u" }, "list", "", async () => "after");
}

describe("read cache in the embedded default", () => {
  test("a write after a flood of the evictable store is read back, not the entry cached before it", async () => {
    const store = new MemoryKV(CAPACITY);
    const versions = new MemoryKV(Number.POSITIVE_INFINITY);
    expect(await afterFlood(new ReadCache(store, metrics, 60, true, versions), store)).toBe("after");
  });
});

describe("the JSON text of a cached read", () => {
  test("is what was stored, for the loaded value and for a value read back; a fresh object has none", async () => {
    const cache = new ReadCache(new MemoryKV(100), metrics, 60);
    const entry = { id: "e1", title: "Über die Kette", tags: ["bike"] };
    const loaded = await cache.getOrLoad({ userId: "u" }, "entry", "e1", async () => entry);
    expect(cachedJsonText(loaded)).toBe(JSON.stringify(entry));
    // Without Redis every hit is parsed anew from the stored text: a new object, the same text.
    const hit = await cache.getOrLoad(
      { userId: "u" },
      "entry",
      "e1",
      async (): Promise<typeof entry> => ({ id: "e1", title: "never loaded", tags: [] }),
    );
    expect(hit).toEqual(entry);
    expect(hit).not.toBe(loaded);
    expect(cachedJsonText(hit)).toBe(JSON.stringify(entry));
    expect(cachedJsonText({ ...entry })).toBeUndefined();
    expect(cachedJsonText("text")).toBeUndefined();
  });
});
