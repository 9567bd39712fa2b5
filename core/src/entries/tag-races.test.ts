import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHarness, type Harness } from "../../test/harness";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

// A seeded shuffle, so a failure names the orders that produced it.
function shuffled<T>(items: T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

describe("parallel writes of the same new tags in different orders", () => {
  test("creates neither deadlock nor lose a tag", async () => {
    const u = await h.user();
    for (let round = 0; round < 4; round++) {
      // New tags every round, each request naming them in its own order (and spelling).
      const names = Array.from({ length: 10 }, (_, i) => `round${round}-tag${i}`);
      const made = await Promise.all(
        Array.from({ length: 16 }, (_, i) => {
          const order = i % 2 ? [...names].reverse() : shuffled(names, round * 100 + i);
          return u.post("/v1/entries", { title: `r${round} e${i}`, tags: order.map((n) => (i % 3 ? n : n.toUpperCase())) });
        }),
      );
      for (const res of made) {
        expect(res.status).toBe(201);
        expect(res.body.tags).toHaveLength(10);
      }
    }
    const tags = (await u.get("/v1/tags")).body.items as { entryCount: number }[];
    expect(tags).toHaveLength(40);
    expect(tags.every((t) => t.entryCount === 16)).toBe(true);
  }, 30_000);

  test("updates neither deadlock nor lose a tag", async () => {
    const u = await h.user();
    const entries = await Promise.all(Array.from({ length: 12 }, (_, i) => u.post("/v1/entries", { title: `e${i}` })));
    const names = Array.from({ length: 10 }, (_, i) => `patched${i}`);
    const patched = await Promise.all(
      entries.map((e, i) => u.patch(`/v1/entries/${e.body.id}`, { tags: i % 2 ? [...names].reverse() : shuffled(names, i) })),
    );
    for (const res of patched) {
      expect(res.status).toBe(200);
      expect(res.body.tags).toHaveLength(10);
    }
  }, 30_000);
});
