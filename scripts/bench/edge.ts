// `npm run bench:edge`: many viewers on a few hot public galleries, through the edge Worker in
// local workerd (Miniflare) in front of core, with an edit every EDIT_EVERY_MS. Prints the
// cache hit ratio and origin requests per 1,000 views (from the edge's own /__edge/metrics),
// and req/s and p99 of cache HITs and of requests that go through to core, each beside a bare
// Bun.serve and a bare `workerd serve` hello world measured in the same run (the local
// simulator is far slower than Cloudflare's edge: read the ratios). Not a test.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEdge } from "../../edge/local/miniflare";
import { startServer, stop } from "./spawn";
import { printTable, type WrkResult, wrk } from "./wrk";

const { DATABASE_URL, DATABASE_REPLICA_URLS = "", REDIS_URL } = process.env;
if (!DATABASE_URL || !REDIS_URL) throw new Error("run through `npm run bench:edge`, which starts PostgreSQL and Redis");
const seconds = Number(process.env.BENCH_SECONDS ?? 8);
const mixedSeconds = Number(process.env.BENCH_MIXED_SECONDS ?? 15);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);
const GALLERIES = 3;
const EDIT_EVERY_MS = 2_000;
const BARE = 18190;
const WORKERD = 18191;
const CORE = 18192;
const METRICS_TOKEN = "bench-edge-metrics-token";
const DATA_DIR = mkdtempSync(join(tmpdir(), "tcc-bench-edge-"));

// --- baselines: the cheapest Bun response, and the cheapest workerd response ---
const bare = await startServer(["bun", "scripts/bench/bare-server.ts", String(BARE)], {}, `http://127.0.0.1:${BARE}/`);
const wd = join(DATA_DIR, "workerd");
rmSync(wd, { recursive: true, force: true });
Bun.spawnSync(["mkdir", "-p", wd]);
writeFileSync(join(wd, "hello.js"), 'export default { fetch() { return new Response("hello"); } };\n');
writeFileSync(
  join(wd, "config.capnp"),
  `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .hello) ],
  sockets = [ (name = "http", address = "127.0.0.1:${WORKERD}", http = (), service = "main") ],
);
const hello :Workerd.Worker = (
  modules = [ (name = "hello", esModule = embed "hello.js") ],
  compatibilityDate = "2026-11-01",
);
`,
);
const workerd = await startServer(["node_modules/.bin/workerd", "serve", join(wd, "config.capnp")], {}, `http://127.0.0.1:${WORKERD}/`);

// --- core, and a few public galleries with some items ---
const core = await startServer(
  ["bun", "core/src/main.ts"],
  {
    PORT: String(CORE),
    DATABASE_URL,
    DATABASE_REPLICA_URLS,
    REDIS_URL,
    DATA_DIR: join(DATA_DIR, "core"),
    LOG_LEVEL: "warn",
    RATE_LIMIT_USER_PER_MIN: "100000000",
    RATE_LIMIT_IP_PER_MIN: "100000000",
    RATE_LIMIT_AUTH_PER_MIN: "100000000",
  },
  `http://127.0.0.1:${CORE}/readyz`,
);
const coreUrl = `http://127.0.0.1:${CORE}`;
async function api<T>(method: string, path: string, token?: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${coreUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (res.status === 204 ? null : await res.json()) as T;
}
const { accessToken: token } = await api<{ accessToken: string }>("POST", "/v1/auth/register", undefined, {
  email: `bench-edge-${Date.now()}@example.test`,
  password: "correct horse battery staple",
});
const galleries: { id: string; slug: string }[] = [];
for (let i = 0; i < GALLERIES; i++) {
  galleries.push(
    await api("POST", "/v1/galleries", token, { title: `Hot gallery ${i}`, description: "x".repeat(400), visibility: "public" }),
  );
}
const paths = galleries.flatMap((g) => [`/v1/public/galleries/${g.slug}`, `/g/${g.slug}`]);

// --- the edge: default freshness (3 s), and one that goes to core on every view ---
const limits = { RATE_LIMIT_READ: "100000000/60", RATE_LIMIT_WRITE: "100000000/60" };
const edge = await startEdge({ CORE_ORIGIN: coreUrl, EDGE_METRICS_TOKEN: METRICS_TOKEN, ...limits });
const through = await startEdge({ CORE_ORIGIN: coreUrl, GALLERY_FRESH_S: "0.001", ...limits });

async function counters(): Promise<Map<string, number>> {
  const text = await (await fetch(`${edge.url}/__edge/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^(tcc_edge_\w+\{[^}]*\}) (\d+)$/gm)) out.set(m[1] as string, Number(m[2]));
  return out;
}
const sum = (m: Map<string, number>, prefix: string) => [...m].filter(([k]) => k.startsWith(prefix)).reduce((a, [, v]) => a + v, 0);

const results: WrkResult[] = [];
const run = async (name: string, url: string, extra: Partial<Parameters<typeof wrk>[0]> = {}) => {
  const r = await wrk({ name, url, connections, seconds, ...extra });
  results.push(r);
  return r;
};

try {
  const bareRes = await run("bare Bun.serve hello", `http://127.0.0.1:${BARE}/`);
  const workerdRes = await run("bare workerd serve hello", `http://127.0.0.1:${WORKERD}/`);
  await run("core direct: gallery JSON", `${coreUrl}${paths[0]}`);
  // Warm: every path stored once.
  for (const p of paths) await (await fetch(`${edge.url}${p}`)).text();
  const hit = await run("edge HIT: gallery JSON", `${edge.url}${paths[0]}`);
  const miss = await run("edge through to core (revalidated each view)", `${through.url}${paths[0]}`);

  // The scenario: viewers over every hot gallery and its page, an edit every EDIT_EVERY_MS.
  const before = await counters();
  let edits = 0;
  let editing = true;
  const editor = (async () => {
    while (editing) {
      await Bun.sleep(EDIT_EVERY_MS);
      if (!editing) break;
      const g = galleries[edits % galleries.length] as { id: string };
      await api("PATCH", `/v1/galleries/${g.id}`, token, { title: `Hot gallery edit ${++edits}` });
    }
  })();
  const mixed = await run("edge: hot galleries with edits (mixed)", `${edge.url}/`, { paths, seconds: mixedSeconds });
  editing = false;
  await editor;
  const after = await counters();
  const delta = (prefix: string) => sum(after, prefix) - sum(before, prefix);
  const views = delta('tcc_edge_requests_total{route_class="read"');
  const hits = delta('tcc_edge_requests_total{route_class="read",cache="HIT"}');
  const origin = delta("tcc_edge_origin_requests_total{");

  printTable(results, bareRes, {
    "views (mixed run)": `${views.toLocaleString("en")} in ${mixedSeconds} s at ${connections} connections, ${edits} edits, ${GALLERIES} galleries × JSON and page`,
    "hit ratio": `${((hits / views) * 100).toFixed(2)}% (budget ≥ 95%)`,
    "origin requests per 1,000 views": ((origin / views) * 1000).toFixed(1),
    "edge HIT vs bare workerd": `${((hit.rps / workerdRes.rps) * 100).toFixed(1)}% of req/s; p99 ${hit.p99Ms.toFixed(2)} vs ${workerdRes.p99Ms.toFixed(2)} ms`,
    "edge HIT vs bare Bun.serve": `${((hit.rps / bareRes.rps) * 100).toFixed(1)}% of req/s`,
    "edge through-to-core vs HIT": `${((miss.rps / hit.rps) * 100).toFixed(1)}% of req/s; p99 ${miss.p99Ms.toFixed(2)} vs ${hit.p99Ms.toFixed(2)} ms`,
    "edge through-to-core vs bare workerd": `${((miss.rps / workerdRes.rps) * 100).toFixed(1)}% of req/s`,
    "mixed vs bare workerd": `${((mixed.rps / workerdRes.rps) * 100).toFixed(1)}% of req/s`,
  });
} finally {
  await edge.stop();
  await through.stop();
  await stop(core);
  await stop(workerd);
  await stop(bare);
  rmSync(DATA_DIR, { recursive: true, force: true });
}
