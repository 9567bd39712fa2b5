import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { type Edge, startEdge } from "../local/miniflare";
import { call, type Origin, register, startOrigin, TRUST_SECRET } from "./stack";

// Real core and workerd on a shared machine: a test waits for freshness windows and slow requests.
setDefaultTimeout(30_000);

const WINDOW_S = 2;
let origin: Origin;
let edge: Edge;

beforeAll(async () => {
  origin = await startOrigin();
  edge = await startEdge({
    CORE_ORIGIN: origin.url,
    EDGE_TRUST_SECRET: TRUST_SECRET,
    RATE_LIMIT_READ: `5/${WINDOW_S}`,
    // Long windows where a slow request (argon2 on a busy machine) must not outlast one.
    RATE_LIMIT_WRITE: "3/60",
    RATE_LIMIT_AUTH: "2/60",
    RATE_LIMIT_AI: "1/60",
  });
}, 60_000);
afterAll(async () => {
  await edge?.stop();
  await origin?.stop();
});

let ips = 0;
/** A fresh client address per test, so budgets never leak between tests. */
const freshIp = () => `198.51.100.${++ips}`;
const from = (ip: string, headers: Record<string, string> = {}) => ({ "cf-connecting-ip": ip, ...headers });

describe("edge rate limits", () => {
  test("reads trip at RATE_LIMIT_READ with 429, Retry-After and RateLimit-*; the refused never reach core; the window resets", async () => {
    const ip = freshIp();
    const path = `/v1/public/galleries/limit-probe-${ip}`;
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      const res = await call(edge.url, "GET", path, undefined, undefined, from(ip));
      statuses.push(res.status);
      if (res.status === 429) {
        expect(res.body.error.code).toBe("RATE_LIMITED");
        expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
        expect(Number(res.headers.get("retry-after"))).toBeLessThanOrEqual(WINDOW_S);
        expect(res.headers.get("ratelimit-limit")).toBe("5");
        expect(res.headers.get("ratelimit-remaining")).toBe("0");
      }
    }
    expect(statuses).toEqual([404, 404, 404, 404, 404, 429, 429]);
    expect(origin.count(path)).toBe(5);
    // Another address has its own budget meanwhile.
    expect((await call(edge.url, "GET", path, undefined, undefined, from(freshIp()))).status).toBe(404);
    await Bun.sleep(WINDOW_S * 1000 + 100);
    const after: number[] = [];
    for (let i = 0; i < 6; i++) after.push((await call(edge.url, "GET", path, undefined, undefined, from(ip))).status);
    expect(after).toEqual([404, 404, 404, 404, 404, 429]);
    expect(origin.count(path)).toBe(11); // 5, the other address's 1, and 5 more
  });

  test("twenty requests in flight at once: exactly the limit get through", async () => {
    const ip = freshIp();
    const path = `/v1/public/galleries/parallel-${ip}`;
    const all = await Promise.all(Array.from({ length: 20 }, () => call(edge.url, "GET", path, undefined, undefined, from(ip))));
    expect(all.filter((r) => r.status === 404)).toHaveLength(5);
    expect(all.filter((r) => r.status === 429)).toHaveLength(15);
    expect(origin.count(path)).toBe(5);
  });

  test("IPv6 clients share the budget of their /64", async () => {
    const path = "/v1/public/galleries/v6-probe";
    const a = "2001:db8:7:9::1";
    const sameNet = "2001:db8:7:9:ffff:1:2:3";
    const otherNet = "2001:db8:7:a::1";
    for (let i = 0; i < 3; i++) expect((await call(edge.url, "GET", path, undefined, undefined, from(a))).status).toBe(404);
    for (let i = 0; i < 2; i++) expect((await call(edge.url, "GET", path, undefined, undefined, from(sameNet))).status).toBe(404);
    expect((await call(edge.url, "GET", path, undefined, undefined, from(sameNet))).status).toBe(429);
    expect((await call(edge.url, "GET", path, undefined, undefined, from(a))).status).toBe(429);
    expect((await call(edge.url, "GET", path, undefined, undefined, from(otherNet))).status).toBe(404);
  });

  test("signed-in callers spend their own budget, per route class: writes at RATE_LIMIT_WRITE, whoever shares their address", async () => {
    const ip = freshIp();
    const a = await register(origin.core.url, "limit-a");
    const b = await register(origin.core.url, "limit-b");
    const writes: number[] = [];
    for (let i = 0; i < 4; i++) {
      writes.push((await call(edge.url, "POST", "/v1/entries", a.token, { title: `w${i}`, content: "x" }, from(ip))).status);
    }
    expect(writes).toEqual([201, 201, 201, 429]);
    // A's reads are another class; B on the same address has a budget of its own.
    expect((await call(edge.url, "GET", "/v1/entries", a.token, undefined, from(ip))).status).toBe(200);
    expect((await call(edge.url, "POST", "/v1/entries", b.token, { title: "b", content: "x" }, from(ip))).status).toBe(201);
    const list = await call(origin.core.url, "GET", "/v1/entries", a.token);
    expect(list.body.items).toHaveLength(3); // the refused write never reached core
  });

  test("auth routes are strict: the third login attempt in the window is refused at the edge", async () => {
    const ip = freshIp();
    const body = { email: `nobody-${crypto.randomUUID()}@example.test`, password: "wrong password here" };
    const before = origin.count("/v1/auth/login");
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await call(edge.url, "POST", "/v1/auth/login", undefined, body, from(ip))).status);
    expect(statuses).toEqual([401, 401, 429]);
    expect(origin.count("/v1/auth/login") - before).toBe(2);
  });

  test("cached gallery views spend no budget: HITs go on past the read limit", async () => {
    const ip = freshIp();
    const owner = await register(origin.core.url, "limit-gallery");
    const g = await call(origin.core.url, "POST", "/v1/galleries", owner.token, { title: "Popular", visibility: "public" });
    expect(g.status).toBe(201);
    const path = `/v1/public/galleries/${g.body.slug}`;
    const got: (string | null)[] = [];
    for (let i = 0; i < 12; i++) {
      const res = await fetch(`${edge.url}${path}`, { headers: from(ip) });
      expect(res.status).toBe(200);
      got.push(res.headers.get("x-cache"));
    }
    expect(got.filter((c) => c === "HIT").length).toBeGreaterThanOrEqual(6);
    expect(origin.count(path)).toBeLessThanOrEqual(5);
  });
});
