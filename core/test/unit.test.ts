import { describe, expect, test } from "bun:test";
import { RecentWriters } from "@tcc/db";
import { parseEnv } from "../src/env";
import { decodeCursor, encodeCursor } from "../src/lib/cursor";
import { gcra } from "../src/lib/gcra";
import { MemoryKV } from "../src/lib/kv";
import { uniqueTagNames } from "../src/services/tag-names";

describe("cursor encoding", () => {
  test("round-trips and is opaque", () => {
    const c = { v: "2025-01-01T00:00:00.123456Z", id: "0190a1b2-0000-7000-8000-000000000000" };
    const raw = encodeCursor(c);
    expect(raw).not.toContain("2025");
    expect(decodeCursor(raw)).toEqual(c);
  });

  test("anything else decodes to null", () => {
    for (const raw of [
      "",
      "bogus",
      Buffer.from("{}").toString("base64url"),
      Buffer.from('[1,"x"]').toString("base64url"),
      Buffer.from('["a","b","c"]').toString("base64url"),
    ]) {
      expect(decodeCursor(raw)).toBeNull();
    }
  });
});

describe("GCRA rate limiter math", () => {
  const rule = { limit: 3, periodMs: 3000 };

  test("allows a burst of `limit`, then refuses with the wait until the next slot", () => {
    let tat: number | null = null;
    const remaining: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = gcra(tat, 1000, rule);
      expect(r.decision.allowed).toBe(true);
      remaining.push(r.decision.remaining);
      tat = r.tat;
    }
    expect(remaining).toEqual([2, 1, 0]);
    const refused = gcra(tat, 1000, rule);
    expect(refused.decision.allowed).toBe(false);
    expect(refused.decision.retryAfterMs).toBe(1000);
    expect(refused.tat).toBe(tat); // refusals do not consume capacity
  });

  test("capacity returns at the emission rate", () => {
    let tat: number | null = null;
    for (let i = 0; i < 3; i++) tat = gcra(tat, 0, rule).tat;
    expect(gcra(tat, 999, rule).decision.allowed).toBe(false);
    const later = gcra(tat, 1000, rule);
    expect(later.decision.allowed).toBe(true);
    expect(later.decision.remaining).toBe(0);
    expect(gcra(null, 0, rule).decision.resetMs).toBe(1000);
  });

  test("an idle key starts full again", () => {
    let tat: number | null = null;
    for (let i = 0; i < 3; i++) tat = gcra(tat, 0, rule).tat;
    expect(gcra(tat, 10_000, rule).decision.remaining).toBe(2);
  });
});

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

describe("read-your-writes window", () => {
  test("a writer sticks to the primary only within the window", () => {
    let now = 0;
    const w = new RecentWriters(1000, () => now);
    w.mark("u1");
    expect(w.isRecent("u1")).toBe(true);
    expect(w.isRecent("u2")).toBe(false);
    now = 1000;
    expect(w.isRecent("u1")).toBe(false);
  });
});

describe("small pure helpers", () => {
  test("tag names dedupe case-insensitively and keep the first spelling", () => {
    expect(uniqueTagNames(["Bike", " bike ", "", "run", "RUN", "Bike "])).toEqual(["Bike", "run"]);
  });

  test("env: defaults for the embedded mode, a bad variable names itself", () => {
    const env = parseEnv({});
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.PORT).toBe(8080);
    expect(env.EMBEDDING_DIMS).toBe(768);
    expect(parseEnv({ DATABASE_REPLICA_URLS: "postgres://a/x, postgres://b/x" }).DATABASE_REPLICA_URLS).toEqual([
      "postgres://a/x",
      "postgres://b/x",
    ]);
    expect(() => parseEnv({ PORT: "eighty" })).toThrow(/PORT/);
  });
});
