// The local runner's own behaviour: k6's API as the scenarios use it, thresholds that can fail,
// abort, and the smoke scaling.
import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { runScript } from "../engine";
import { evaluateThresholds, MetricStore, percentile } from "../metrics";
import { ms, smoke, stageTarget } from "../scenarios";

const server = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  async fetch(req) {
    const url = new URL(req.url);
    if (url.pathname === "/echo")
      return new Response(await req.text(), { headers: { "x-lower-case": req.headers.get("x-lower-case") ?? "" } });
    const status = Number(url.pathname.split("/").pop());
    return new Response(null, { status });
  },
});
afterAll(() => server.stop(true));
const probe = join(import.meta.dir, "fixtures/probe.ts");
const run = (env: Record<string, string> = {}) => runScript({ script: probe, env: { BASE_URL: server.url.origin, ...env } });

describe("local k6 runner", () => {
  test("runs setup, scenarios and checks with k6's semantics; thresholds pass", async () => {
    const r = await run();
    expect(r.iterationErrors).toEqual([]);
    expect(r.aborted).toBeNull();
    expect(r.store.select("iterations{scenario:loop}").values.length).toBe(6); // 2 VUs × 3 iterations
    expect(r.store.select("iterations{kind:probe}").values.length).toBe(6); // scenario tags reach samples
    expect(r.store.select("http_reqs").values.length).toBe(13); // setup + 6 × batch of 2
    expect(r.store.select("probe_wait").values.every((v) => v >= 9)).toBe(true); // sleep() blocks
    expect(r.thresholds.map((t) => [t.metric, t.ok, t.evaluated])).toEqual([
      ["checks", true, true],
      ["probe_custom", true, true],
      ["http_req_duration{scenario:loop}", true, true],
      ["http_req_failed", true, true],
    ]);
    expect(r.passed).toBe(true);
  }, 30_000);

  test("a failing check or a threshold out of bounds fails the run", async () => {
    const failing = await run({ FAIL_CHECK: "1" });
    expect(failing.thresholds.find((t) => t.metric === "checks")).toMatchObject({ ok: false, value: 0.75 });
    expect(failing.passed).toBe(false);
    const slow = await run({ P95_LIMIT: "0" });
    expect(slow.thresholds.find((t) => t.metric.startsWith("http_req_duration"))?.ok).toBe(false);
    expect(slow.passed).toBe(false);
  }, 30_000);

  test("exec.test.abort() stops the run and says why", async () => {
    const r = await run({ ABORT: "1" });
    expect(r.aborted).toBe("stopped by the probe");
    expect(r.passed).toBe(false);
  }, 30_000);

  test("threshold arithmetic: percentiles interpolate, counters and rates aggregate, no samples is not evaluated", () => {
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
    const store = new MetricStore();
    store.define("x_rate", "rate");
    for (const v of [0, 0, 0, 1]) store.add({ metric: "x_rate", value: v, tags: { scenario: "a" } });
    const [rate, none] = evaluateThresholds(store, { "x_rate{scenario:a}": ["rate<0.25"], "x_rate{scenario:b}": ["rate<0.25"] }, 1);
    expect(rate).toMatchObject({ ok: false, value: 0.25, evaluated: true });
    expect(none).toMatchObject({ ok: true, evaluated: false, samples: 0 });
  });

  test("smoke scaling keeps the shape and fits in seconds", () => {
    expect(ms("1m30s")).toBe(90_000);
    const s = smoke({
      executor: "ramping-arrival-rate",
      startRate: 10,
      timeUnit: "1s",
      stages: [
        { duration: "10m", target: 300 },
        { duration: "2m", target: 300 },
        { duration: "30s", target: 0 },
      ],
      maxVUs: 500,
    });
    expect(s.stages?.map((st) => st.target)).toEqual([5, 5, 0]);
    expect(s.stages?.reduce((sum, st) => sum + ms(st.duration), 0)).toBeLessThanOrEqual(4_010);
    expect(s.maxVUs).toBe(3);
    expect(stageTarget(0, [{ duration: "10s", target: 10 }], 5_000)).toBe(5);
  });
});
