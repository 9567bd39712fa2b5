// Every k6 scenario in load-tests/scenarios, at smoke size, against a real core on the test
// services: their requests and checks are proven against the API, and every threshold is
// evaluated. Latency thresholds are printed, not asserted: at smoke size on a shared test
// machine they measure the machine (the budgets are checked by `npm run bench:*` and by
// `k6 run` in a deployment). The edge scenario reads through the edge Worker (real workerd,
// edge/local) in front of that core.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serviceEnv } from "../../../core/test/harness";
import { type CoreProcess, startCore } from "../../../core/test/process";
import { type Edge, startEdge } from "../../../edge/local/miniflare";
import { runScript } from "../engine";

const dir = join(import.meta.dir, "../../scenarios");
const scenarios = readdirSync(dir)
  .filter((f) => f.endsWith(".ts"))
  .sort();
const dataDir = mkdtempSync(join(tmpdir(), "tcc-load-"));
let core: CoreProcess;
let edge: Edge;

beforeAll(async () => {
  core = await startCore({
    ...serviceEnv(),
    DATA_DIR: dataDir,
    // One address and two accounts carry all of a load test: raise the limits, as the README says.
    RATE_LIMIT_IP_PER_MIN: "100000000",
    RATE_LIMIT_USER_PER_MIN: "100000000",
    RATE_LIMIT_AUTH_PER_MIN: "100000",
    JOB_QUEUE_PREFIX: `tcc:load-tests:${process.pid}`,
  });
  // One address carries the load here too: the edge's read budget is raised like core's.
  edge = await startEdge({ CORE_ORIGIN: core.url, RATE_LIMIT_READ: "100000000/60" });
}, 60_000);
afterAll(async () => {
  await edge?.stop();
  await core?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const latency = (metric: string) => metric.startsWith("http_req_duration") || metric.startsWith("iteration_duration");

describe("k6 scenarios at smoke size, over the local runner", () => {
  test("every scenario file is covered, including the four the guide asks for", () => {
    expect(scenarios).toEqual(
      expect.arrayContaining(["capacity-ramp.ts", "core-read-write.ts", "edge-gallery.ts", "smoke.ts", "soak.ts", "spike.ts"]),
    );
  });

  test.each(scenarios)(
    "%s: every request and check passes against core, every threshold is evaluated",
    async (file) => {
      const env = { BASE_URL: core.url, EDGE_URL: edge.url, SEED_ENTRIES: "20" };
      const result = await runScript({ script: join(dir, file), env, smoke: true });
      expect(result.aborted).toBeNull();
      expect(result.iterationErrors).toEqual([]);
      const { store } = result;
      // Each scenario of the file ran iterations, and requests went out.
      for (const name of Object.keys(result.scenarios))
        expect(store.select(`iterations{scenario:${name}}`).values.length).toBeGreaterThan(0);
      expect(store.select("http_reqs").values.length).toBeGreaterThan(0);
      const failedChecks = store.samples.filter((s) => s.metric === "checks" && s.value === 0).map((s) => s.tags.check);
      expect(failedChecks).toEqual([]);
      expect(store.select("http_req_failed").values.filter((v) => v !== 0)).toEqual([]);
      // Through the edge, every gallery view says how its cache answered, and the cache served
      // some (at smoke size a few views span the first misses and a revalidation or two).
      if (file === "edge-gallery.ts") {
        const hits = store.select("tcc_edge_cache_hit").values;
        const views = ["GET /g/:slug", "GET /v1/public/galleries/:slug"].map((n) => store.select(`http_reqs{name:${n}}`).values.length);
        expect(hits.length).toBe((views[0] ?? 0) + (views[1] ?? 0));
        expect(hits.filter((v) => v === 1).length).toBeGreaterThan(0);
      }
      // Every threshold had samples and was evaluated; all but latency held.
      expect(result.thresholds.length).toBeGreaterThan(0);
      expect(result.thresholds.filter((t) => !t.evaluated).map((t) => `${t.metric} ${t.expression}`)).toEqual([]);
      expect(result.thresholds.filter((t) => !t.ok && !latency(t.metric)).map((t) => `${t.metric} ${t.expression} = ${t.value}`)).toEqual(
        [],
      );
      const shown = result.thresholds.map((t) => `${t.ok ? "ok" : "over"} ${t.metric} ${t.expression} (${t.value?.toFixed(2)})`);
      console.log(
        `[load ${file}] ${store.select("http_reqs").values.length} requests in ${result.durationS.toFixed(1)} s: ${shown.join("; ")}`,
      );
    },
    120_000,
  );
});
