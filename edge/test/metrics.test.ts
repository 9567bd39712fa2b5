import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { type Edge, startEdge } from "../local/miniflare";
import { call, type Origin, register, startOrigin, TRUST_SECRET } from "./stack";

// Real core and workerd on a shared machine: a test waits for freshness windows and slow requests.
setDefaultTimeout(30_000);

const TOKEN = "edge-metrics-test-token-0123";
let origin: Origin;
let edge: Edge;

beforeAll(async () => {
  origin = await startOrigin();
  edge = await startEdge({ CORE_ORIGIN: origin.url, EDGE_TRUST_SECRET: TRUST_SECRET, EDGE_METRICS_TOKEN: TOKEN, RATE_LIMIT_AUTH: "1/60" });
}, 60_000);
afterAll(async () => {
  await edge?.stop();
  await origin?.stop();
});

/** `name{labels} value` lines of a scrape, as a map. */
async function scrape(): Promise<Map<string, number>> {
  const res = await fetch(`${edge.url}/__edge/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toStartWith("text/plain");
  const out = new Map<string, number>();
  for (const line of (await res.text()).split("\n")) {
    const m = line.match(/^(tcc_edge_\w+\{[^}]*\}) (\d+)$/);
    if (m) out.set(m[1] as string, Number(m[2]));
  }
  return out;
}

describe("/__edge/metrics", () => {
  test("needs the metrics token", async () => {
    expect((await call(edge.url, "GET", "/__edge/metrics")).status).toBe(401);
    const wrong = await call(edge.url, "GET", "/__edge/metrics", "not-the-token-at-all");
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe("UNAUTHORIZED");
  });

  test("counts requests by route class and cache status, origin requests by outcome, and refusals by reason", async () => {
    const owner = await register(origin.core.url, "metrics");
    const g = await call(origin.core.url, "POST", "/v1/galleries", owner.token, { title: "Counted", visibility: "public" });
    const before = await scrape();
    const delta = (after: Map<string, number>, key: string) => (after.get(key) ?? 0) - (before.get(key) ?? 0);

    for (let i = 0; i < 3; i++) expect((await fetch(`${edge.url}/g/${g.body.slug}`)).status).toBe(200); // MISS, HIT, HIT
    expect((await call(edge.url, "GET", "/v1/entries", "not.a.jwt")).status).toBe(401); // refused: auth
    const login = { email: `nobody-${crypto.randomUUID()}@example.test`, password: "wrong password here" };
    expect((await call(edge.url, "POST", "/v1/auth/login", undefined, login)).status).toBe(401); // core says no
    expect((await call(edge.url, "POST", "/v1/auth/login", undefined, login)).status).toBe(429); // refused: rate limit

    const after = await scrape();
    expect(delta(after, 'tcc_edge_requests_total{route_class="read",cache="MISS"}')).toBe(1);
    expect(delta(after, 'tcc_edge_requests_total{route_class="read",cache="HIT"}')).toBe(2);
    expect(delta(after, 'tcc_edge_requests_total{route_class="read",cache="BYPASS"}')).toBe(1);
    expect(delta(after, 'tcc_edge_requests_total{route_class="auth",cache="BYPASS"}')).toBe(2);
    expect(delta(after, 'tcc_edge_origin_requests_total{route_class="read",outcome="ok"}')).toBe(1);
    expect(delta(after, 'tcc_edge_origin_requests_total{route_class="auth",outcome="ok"}')).toBe(1);
    expect(delta(after, 'tcc_edge_rejected_total{route_class="read",reason="auth"}')).toBe(1);
    expect(delta(after, 'tcc_edge_rejected_total{route_class="auth",reason="rate_limit"}')).toBe(1);
  });

  test("counts made by requests in flight at once are all kept", async () => {
    const before = await scrape();
    const key = 'tcc_edge_requests_total{route_class="read",cache="BYPASS"}';
    await Promise.all(Array.from({ length: 30 }, (_, i) => fetch(`${edge.url}/v1/entries?n=${i}`).then((r) => r.text())));
    const after = await scrape();
    expect((after.get(key) ?? 0) - (before.get(key) ?? 0)).toBe(30);
  });
});

test("without EDGE_METRICS_TOKEN there is no metrics path", async () => {
  const bare = await startEdge({ CORE_ORIGIN: origin.url });
  try {
    const res = await call(bare.url, "GET", "/__edge/metrics", TOKEN);
    expect(res.status).toBe(404);
  } finally {
    await bare.stop();
  }
}, 30_000);
