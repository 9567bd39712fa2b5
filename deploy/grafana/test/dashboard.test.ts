// The Grafana dashboard against reality: every query parses (promtool), and every metric and
// label it names is one that a running core and AI gateway export, scraped from their real
// /metrics after exercising them so their lazily created series exist; the edge Worker's from
// its /__edge/metrics, running in workerd in front of that core.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { type FakeNode, startFakeNode } from "../../../ai-gateway/fake-node/server";
import { serviceEnv } from "../../../core/test/harness";
import { type CoreProcess, startCore } from "../../../core/test/process";
import { type Edge, startEdge } from "../../../edge/local/miniflare";
import { parseExposition, references } from "./promql";

const root = join(import.meta.dir, "../../..");
const dashboard = await Bun.file(join(root, "deploy/grafana/dashboards/tcc-log.json")).json();
const panels: { type: string; title: string; targets?: { expr: string }[] }[] = dashboard.panels;
const exprs = panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));

/** Added by Prometheus to every scrape, not exported by anyone. */
const SCRAPE = new Map([["up", new Set<string>()]]);
const TARGET_LABELS = new Set(["job", "instance"]);

const TOKEN = "dashboard-test-token";
const dataDir = mkdtempSync(join(tmpdir(), "tcc-dashboard-"));
let fake: FakeNode;
let gateway: Subprocess<"ignore", "pipe", "inherit">;
let gatewayUrl = "";
let core: CoreProcess;
let edge: Edge;
const EDGE_TOKEN = "dashboard-edge-metrics-token";
const scraped = { core: "", gateway: "", edge: "" };

async function startGatewayProcess(env: Record<string, string>) {
  const proc = Bun.spawn([process.execPath, join(root, "ai-gateway/src/main.ts")], {
    env: { PATH: process.env.PATH ?? "", PORT: "0", LOG_LEVEL: "warn", ...env },
    stdout: "pipe",
    stderr: "inherit",
  });
  const reader = proc.stdout.getReader();
  let out = "";
  while (!/listening at \S+\s/.test(out)) {
    const { value, done } = await reader.read();
    if (done) break;
    out += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  const url = out.match(/listening at (http:\/\/\S+)/)?.[1];
  if (!url) throw new Error(`the gateway did not print its URL: ${out}`);
  return { proc, url };
}

const gw = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${gatewayUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}`, ...headers },
    body: JSON.stringify(body),
  });

beforeAll(async () => {
  fake = await startFakeNode({ models: ["fake-chat", "fake-embedding"], dims: 768 });
  // One slot, so a second request waits in the queue (and can miss its deadline).
  ({ proc: gateway, url: gatewayUrl } = await startGatewayProcess({
    REDIS_URL: serviceEnv().REDIS_URL as string,
    AI_GATEWAY_TOKEN: TOKEN,
    LMSTUDIO_NODES: JSON.stringify([{ url: fake.url, maxConcurrent: 1, models: ["fake-chat", "fake-embedding"] }]),
    AI_HEALTH_INTERVAL_MS: "200",
    AI_RETRY_BASE_MS: "5",
  }));
  core = await startCore({
    ...serviceEnv(),
    DATA_DIR: dataDir,
    AI_GATEWAY_URL: gatewayUrl,
    AI_GATEWAY_TOKEN: TOKEN,
    AI_CHAT_MODEL: "fake-chat",
    AI_EMBEDDING_MODEL: "fake-embedding",
    RATE_LIMIT_AUTH_PER_MIN: "5", // so a few bad logins produce a 429
    JOB_QUEUE_PREFIX: `tcc:dashboard:${process.pid}`,
  });

  // Exercise core: writes (embedding jobs through the gateway), cached reads, both searches,
  // a chat answer with a tool call, and auth rate limiting.
  const api = (path: string, init: RequestInit = {}, token?: string) =>
    fetch(`${core.url}${path}`, {
      ...init,
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    });
  const reg = await (
    await api("/v1/auth/register", {
      method: "POST",
      body: JSON.stringify({ email: `dash-${Date.now()}@example.test`, password: "correct horse battery staple" }),
    })
  ).json();
  const token = (reg as { accessToken: string }).accessToken;
  for (const title of ["bike service", "garden notes", "run log"])
    await api("/v1/entries", { method: "POST", body: JSON.stringify({ title, content: `${title} text`, tags: ["dash"] }) }, token);
  for (let i = 0; i < 2; i++) await (await api("/v1/entries", {}, token)).text();
  await (await api("/v1/search?q=bike", {}, token)).text();
  await (await api("/v1/search?q=bicycle&mode=semantic", {}, token)).text();
  fake.script([{ tool_calls: [{ name: "list_tags", arguments: {} }] }, { content: "You tagged three entries." }]);
  await (await api("/v1/chat", { method: "POST", body: JSON.stringify({ message: "what are my tags?" }) }, token)).text();
  for (let i = 0; i < 6; i++)
    await (
      await api("/v1/auth/login", { method: "POST", body: JSON.stringify({ email: "nobody@example.test", password: "wrong password" }) })
    ).text();

  // Exercise the gateway: a request that waits past its deadline, and a node that fails.
  fake.configure({ latencyMs: 400 });
  const chat = { model: "fake-chat", messages: [{ role: "user", content: "hi" }] };
  const slow = gw("/v1/chat/completions", chat);
  await Bun.sleep(50);
  await (await gw("/v1/chat/completions", chat, { "x-tcc-deadline-ms": "100" })).text();
  await (await slow).text();
  fake.configure({ latencyMs: 0, failRate: 1 });
  await (await gw("/v1/embeddings", { model: "fake-embedding", input: "fails" })).text();
  fake.reset();
  await Bun.sleep(1_200); // token accounting flushes each second; embedding jobs finish

  // Exercise the edge: a public gallery viewed twice (a miss, then a hit), a bad token.
  edge = await startEdge({ CORE_ORIGIN: core.url, EDGE_METRICS_TOKEN: EDGE_TOKEN });
  const g = (await (
    await api("/v1/galleries", { method: "POST", body: JSON.stringify({ title: "dash", visibility: "public" }) }, token)
  ).json()) as { slug: string };
  for (let i = 0; i < 2; i++) await (await fetch(`${edge.url}/v1/public/galleries/${g.slug}`)).text();
  await (await fetch(`${edge.url}/v1/entries`, { headers: { authorization: "Bearer not.a.jwt" } })).text();
  scraped.edge = await (await fetch(`${edge.url}/__edge/metrics`, { headers: { authorization: `Bearer ${EDGE_TOKEN}` } })).text();

  scraped.core = await (await fetch(`${core.url}/metrics`)).text();
  scraped.gateway = await (await fetch(`${gatewayUrl}/metrics`)).text();
}, 60_000);

afterAll(async () => {
  await edge?.stop();
  await core?.stop();
  gateway?.kill("SIGTERM");
  await gateway?.exited;
  await fake?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** A referenced name resolved to what exports it: histograms' _bucket/_sum/_count belong to the histogram. */
function exported(): Known {
  const out: Known = new Map();
  for (const [source, text] of Object.entries(scraped)) {
    const { types, labels } = parseExposition(text);
    for (const [name, type] of types) {
      const names = type === "histogram" ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name];
      for (const n of names) out.set(n, { source, labels: labels.get(n) ?? new Set(), series: labels.has(n) });
    }
  }
  for (const [name, labels] of SCRAPE) out.set(name, { source: "prometheus", labels, series: true });
  return out;
}

type Known = Map<string, { source: string; labels: Set<string>; series: boolean }>;

function problemsOf(list: { panel: string; expr: string }[], known: Known): string[] {
  const problems: string[] = [];
  for (const { panel, expr } of list) {
    const refs = references(expr);
    if (refs.metrics.size === 0) problems.push(`${panel}: no metric in "${expr}"`);
    const labelsOfExpr = new Set<string>(["le", ...TARGET_LABELS]);
    for (const metric of refs.metrics) {
      const m = known.get(metric);
      if (!m) {
        problems.push(`${panel}: ${metric} is not exported`);
        continue;
      }
      if (!m.series) problems.push(`${panel}: ${metric} (${m.source}) has no series after the exercise`);
      for (const l of m.labels) labelsOfExpr.add(l);
      for (const l of refs.matchers.get(metric) ?? [])
        if (!m.labels.has(l) && !TARGET_LABELS.has(l)) problems.push(`${panel}: ${metric} has no label ${l}`);
    }
    for (const l of refs.grouping) if (!labelsOfExpr.has(l)) problems.push(`${panel}: no metric of "${expr}" has the label ${l}`);
  }
  return problems;
}

describe("Grafana dashboard", () => {
  test("has the sections operations needs, and the edge panel uses the edge's metrics", () => {
    const rows = panels.filter((p) => p.type === "row").map((p) => p.title);
    expect(rows).toEqual(["System health", "API: latency and errors", "AI: queue and tokens", "Caches", "Edge"]);
    const all = exprs.map((e) => e.expr).join("\n");
    for (const name of [
      "tcc_edge_requests_total",
      "tcc_edge_origin_requests_total",
      "tcc_ai_queue_depth",
      "tcc_ai_tokens_total",
      "tcc_cache_requests_total",
      "tcc_ai_cache_requests_total",
    ])
      expect(all).toContain(name);
  });

  test("every query is valid PromQL (promtool)", async () => {
    // Grafana's $__rate_interval is not PromQL; any duration stands in for it.
    const rules = {
      groups: [
        {
          name: "dashboard",
          rules: exprs.map((e, i) => ({ record: `dashboard:query_${i}`, expr: e.expr.replaceAll("$__rate_interval", "5m") })),
        },
      ],
    };
    const file = join(dataDir, "dashboard-rules.yml");
    writeFileSync(file, JSON.stringify(rules)); // JSON is YAML
    const check = Bun.spawnSync(["promtool", "check", "rules", file]);
    expect(check.stderr.toString() + check.stdout.toString()).toContain("SUCCESS");
    expect(check.exitCode).toBe(0);
  });

  test("every metric and label a query names is exported by core, the gateway or the edge (or is Prometheus's)", () => {
    const known = exported();
    expect(known.get("process_resident_memory_bytes")?.series).toBe(true); // scraped for real, default metrics included
    expect(problemsOf(exprs, known)).toEqual([]);
  });

  test("the check catches a misspelt metric, a wrong label, a wrong grouping label and a metric never seen", () => {
    const known = exported();
    known.set("tcc_never_seen_total", { source: "core", labels: new Set(), series: false });
    const wrong = [
      { panel: "a", expr: "sum(rate(tcc_requests_totl[5m]))" },
      { panel: "b", expr: 'sum(rate(tcc_requests_total{stauts="500"}[5m]))' },
      { panel: "c", expr: "sum by (rout) (rate(tcc_requests_total[5m]))" },
      { panel: "d", expr: "tcc_never_seen_total" },
    ];
    expect(problemsOf(wrong, known)).toEqual([
      "a: tcc_requests_totl is not exported",
      "b: tcc_requests_total has no label stauts",
      'c: no metric of "sum by (rout) (rate(tcc_requests_total[5m]))" has the label rout',
      "d: tcc_never_seen_total (core) has no series after the exercise",
    ]);
  });

  test("the alert rules' core and gateway metrics are exported too", async () => {
    const alerts = Bun.YAML.parse(await Bun.file(join(root, "deploy/prometheus/alerts.yml")).text()) as {
      groups: { rules: { expr: string }[] }[];
    };
    const known = exported();
    const missing = alerts.groups
      .flatMap((g) => g.rules)
      .flatMap((r) => [...references(r.expr).metrics])
      .filter((m) => m.startsWith("tcc_") && !known.has(m));
    expect(missing).toEqual([]);
  });

  test("docker-compose provisions it: datasource uid, dashboard folder and Prometheus service line up", async () => {
    const compose = Bun.YAML.parse(await Bun.file(join(root, "docker-compose.yml")).text()) as any;
    const datasources = Bun.YAML.parse(await Bun.file(join(root, "deploy/grafana/provisioning/datasources/prometheus.yml")).text()) as any;
    const providers = Bun.YAML.parse(await Bun.file(join(root, "deploy/grafana/provisioning/dashboards/tcc.yml")).text()) as any;
    const grafana = compose.services.grafana;
    expect(grafana.volumes).toContain("./deploy/grafana/provisioning:/etc/grafana/provisioning:ro");
    expect(grafana.volumes).toContain(`./deploy/grafana/dashboards:${providers.providers[0].options.path}:ro`);
    const ds = datasources.datasources[0];
    expect(new URL(ds.url).hostname in compose.services).toBe(true);
    const uids = new Set(panels.filter((p) => p.type !== "row").map((p) => (p as any).datasource.uid));
    expect([...uids]).toEqual([ds.uid]);
  });
});
