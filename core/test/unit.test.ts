import { describe, expect, test } from "bun:test";
import { RecentWriters } from "@tcc/db";
import { uniqueTagNames } from "../src/entries/tag-names";
import { parseEnv } from "../src/env";
import { decodeCursor, encodeCursor } from "../src/lib/cursor";
import { SeparateGate } from "../src/lib/gate";
import { gcra } from "../src/lib/gcra";
import { GT, LT, MARK_END, MARK_START, markHighlights } from "../src/lib/highlight";
import { isHttpUrl } from "../src/lib/http-url";
import { MemoryKV } from "../src/lib/kv";
import { SizedLru } from "../src/lib/lru";
import { MemoryRateLimiter } from "../src/lib/rate-limit";

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

describe("search highlights", () => {
  const hit = (word: string) => `${MARK_START}${word}${MARK_END}`;
  /** The fragment as a browser would read it back: marks gone, entities decoded. */
  const asText = (html: string) =>
    html
      .replace(/<\/?mark>/g, "")
      .replace(/&lt;/g, "<")
      .replace(/&gt;/g, ">")
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&amp;/g, "&");
  const wellFormed = (html: string) =>
    /^[^<>]*(<mark>[^<>]*<\/mark>[^<>]*)*$/.test(html) && ![MARK_START, MARK_END, LT, GT].some((c) => html.includes(c));

  test("text is HTML-escaped and matches are wrapped in <mark>", () => {
    expect(markHighlights(`changed the ${hit("oil")} & "filter" at Bob's`)).toBe(
      "changed the <mark>oil</mark> &amp; &quot;filter&quot; at Bob&#39;s",
    );
    expect(markHighlights(`${hit("a")} ${hit("b")}`)).toBe("<mark>a</mark> <mark>b</mark>");
    expect(markHighlights("")).toBe("");
  });

  test("markup in the text stays text: <script> and a forged <mark> are escaped", () => {
    const out = markHighlights(`<script>alert("x")</script> <mark>fake</mark> <img src=x onerror=alert(1)> ${hit("real")}`);
    expect(out).toBe(
      "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &lt;mark&gt;fake&lt;/mark&gt; &lt;img src=x onerror=alert(1)&gt; <mark>real</mark>",
    );
    expect(out).not.toContain("<script");
    expect(out).not.toContain("<img");
  });

  test("the < and > stand-ins come back as escaped brackets", () => {
    expect(markHighlights(`x${LT}y and y${GT}z ${hit("oil")}`)).toBe("x&lt;y and y&gt;z <mark>oil</mark>");
  });

  test("stray sentinels (\\u0002, \\u0003) in the text still give balanced marks", () => {
    expect(markHighlights(`${MARK_END}x${MARK_START}y`)).toBe("x<mark>y</mark>"); // stray close dropped, open one closed at the end
    expect(markHighlights(`${MARK_START}${MARK_START}a${MARK_END}${MARK_END}b`)).toBe("<mark>a</mark>b");
    expect(markHighlights(`${MARK_START}<script>`)).toBe("<mark>&lt;script&gt;</mark>");
    expect(markHighlights(MARK_START)).toBe("<mark></mark>");
  });

  test("any mix of sentinels, markup and text comes out well-formed and reads back as the text", () => {
    const alphabet = [MARK_START, MARK_END, LT, GT, "<", ">", "&", '"', "'", "a", " ", "é", "/"];
    let seed = 42;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    for (let run = 0; run < 500; run++) {
      let input = "";
      for (let i = next() % 20; i > 0; i--) input += alphabet[next() % alphabet.length];
      const out = markHighlights(input);
      expect(wellFormed(out)).toBe(true);
      expect(asText(out)).toBe(input.replaceAll(MARK_START, "").replaceAll(MARK_END, "").replaceAll(LT, "<").replaceAll(GT, ">"));
    }
  });

  test("links accept absolute http(s) URLs that open as typed", () => {
    for (const url of [
      "https://example.com",
      "http://example.com/a/b?c=d&e=f#g",
      "HTTPS://EXAMPLE.COM/Path",
      "http://localhost:8080/",
      "http://[::1]:3000/x",
      "https://user@example.com/",
      "https://例え.jp/ページ",
      "https://example.com/search?q=C:\\temp", // a backslash in the query is left alone by browsers
    ]) {
      expect([url, isHttpUrl(url)]).toEqual([url, true]);
    }
  });

  test("links refuse other schemes, relative URLs, spaces, control characters and URLs a browser would rewrite", () => {
    for (const url of [
      "",
      "javascript:alert(1)",
      "JavaScript://example.com/%0aalert(1)",
      "data:text/html,<script>alert(1)</script>",
      "ftp://example.com/",
      "mailto:a@example.com",
      "//example.com/path",
      "/relative",
      "example.com",
      "https:example.com",
      "http://",
      "https://",
      "https://exa mple.com/",
      "https://example.com/a b",
      " https://example.com/",
      "https://example.com/\t",
      "https://example.com/\u0000",
      "https://example.com/\u007f",
      "https://example.com:99999/",
      "http:///example.com",
      "https://\\evil.example/",
      "https://example.com\\@evil.example/",
      "https://example.com/a\\b",
    ]) {
      expect([url, isHttpUrl(url)]).toEqual([url, false]);
    }
  });
});

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

describe("request gate without Redis", () => {
  test("a request refused by the IP limit does not spend the user's budget", async () => {
    const gate = new SeparateGate(new MemoryRateLimiter(), new MemoryKV());
    const input = {
      ipKey: "ip",
      ipRule: { limit: 1, periodMs: 60_000 },
      userKey: "u",
      userRule: { limit: 2, periodMs: 60_000 },
      writeKey: "w",
    };
    expect((await gate.check(input)).user?.remaining).toBe(1);
    const refused = await gate.check(input);
    expect(refused.ip.allowed).toBe(false);
    expect(refused.user).toBeNull();
    const other = await gate.check({ ...input, ipKey: "ip2" });
    expect(other.user?.remaining).toBe(0); // only the first request was charged to the user
  });

  test("reports revocation and recent writes from the key-value store", async () => {
    const kv = new MemoryKV();
    const gate = new SeparateGate(new MemoryRateLimiter(), kv);
    const input = {
      ipKey: "ip",
      ipRule: { limit: 9, periodMs: 60_000 },
      userKey: "u",
      userRule: { limit: 9, periodMs: 60_000 },
      writeKey: "w",
      denyKey: "d",
    };
    expect(await gate.check(input)).toMatchObject({ revoked: false, recentWrite: false });
    await kv.set("w", "1", 5);
    await kv.set("d", "1", 5);
    expect(await gate.check(input)).toMatchObject({ revoked: true, recentWrite: true });
  });
});
