import { describe, expect, test } from "bun:test";
import { SizedLru } from "./lru";

describe("size-bounded LRU (the per-process copy of cached reads)", () => {
  test("evicts least recently used entries past the size bound, and expires by age", () => {
    let now = 0;
    const lru = new SizedLru<string>(100, 1000, () => now);
    lru.set("a", "A", 20);
    lru.set("b", "B", 20);
    expect(lru.get("a")).toBe("A"); // a is now the most recent
    for (const k of ["c", "d", "e"]) lru.set(k, k.toUpperCase(), 25); // 115 > 100: evict the least recent, b
    expect(lru.get("b")).toBeUndefined();
    expect(lru.get("a")).toBe("A");
    expect(lru.size).toBe(95);
    now = 1000;
    expect(lru.get("c")).toBeUndefined();
  });

  test("refuses a single value larger than a quarter of the bound", () => {
    const lru = new SizedLru<string>(100, 1000);
    lru.set("small", "s", 10);
    lru.set("huge", "h", 30);
    expect(lru.get("huge")).toBeUndefined();
    expect(lru.get("small")).toBe("s");
  });
});
