// `npm run bench:ai`: the AI gateway against calling the fake LM Studio node directly, in the
// same run, non-streaming chat, with wrk. Not a test: it prints a table for the closing note.
// Budgets (docs/benchmarks.md): gateway req/s ≥ 0.25 of direct at 64 connections; at 1 connection the
// gateway adds ≤ 0.3 ms at p50 and ≤ 5 ms at p99.
import { startServer, stop } from "./spawn";
import { type WrkResult, wrk } from "./wrk";

const { REDIS_URL } = process.env;
if (!REDIS_URL) throw new Error("run through `npm run bench:ai`, which starts Redis");
const seconds = Number(process.env.BENCH_SECONDS ?? 8);
const NODE = 18090;
const GATEWAY = 18091;

const node = await startServer(["bun", "ai-gateway/fake-node/main.ts", "--port", String(NODE)], {}, `http://127.0.0.1:${NODE}/v1/models`);
// A node limit well above the connection count: this measures the gateway's own cost, not queueing.
const gateway = await startServer(
  ["bun", "ai-gateway/src/main.ts"],
  {
    PORT: String(GATEWAY),
    REDIS_URL,
    LMSTUDIO_NODES: JSON.stringify([{ url: `http://127.0.0.1:${NODE}`, maxConcurrent: 256 }]),
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? "info",
  },
  `http://127.0.0.1:${GATEWAY}/readyz`,
);

// Sampling (temperature 0.7), so the gateway's exact-match cache never answers in the fake node's place.
const body = JSON.stringify({
  model: "fake-chat",
  messages: [{ role: "user", content: "How many kilometres did I run in March?" }],
  temperature: 0.7,
  max_tokens: 64,
});
const run = (name: string, port: number, connections: number) =>
  wrk({
    name,
    url: `http://127.0.0.1:${port}/v1/chat/completions`,
    method: "POST",
    headers: { "content-type": "application/json", "x-tcc-user": "bench" },
    body,
    connections,
    threads: connections === 1 ? 1 : 2,
    seconds,
  });

// Warm both paths (JIT, connection pools) before measuring.
await run("warm-up", NODE, 8);
await run("warm-up", GATEWAY, 8);
const direct64 = await run("direct, 64 connections", NODE, 64);
const gateway64 = await run("gateway, 64 connections", GATEWAY, 64);
const direct1 = await run("direct, 1 connection", NODE, 1);
const gateway1 = await run("gateway, 1 connection", GATEWAY, 1);

const row = (r: WrkResult) => ({
  scenario: r.name,
  "req/s": Math.round(r.rps).toLocaleString("en"),
  "p50 ms": r.p50Ms.toFixed(3),
  "p99 ms": r.p99Ms.toFixed(3),
  errors: String(r.errors),
});
console.table([direct64, gateway64, direct1, gateway1].map(row));

const ratio = gateway64.rps / direct64.rps;
const addedP50 = gateway1.p50Ms - direct1.p50Ms;
const addedP99 = gateway1.p99Ms - direct1.p99Ms;
const verdict = (ok: boolean) => (ok ? "within budget" : "OVER BUDGET");
console.table([
  { measure: "gateway / direct req/s, 64 connections", value: ratio.toFixed(3), budget: "≥ 0.25", verdict: verdict(ratio >= 0.25) },
  { measure: "added p50 at 1 connection", value: `${addedP50.toFixed(3)} ms`, budget: "≤ 0.3 ms", verdict: verdict(addedP50 <= 0.3) },
  { measure: "added p99 at 1 connection", value: `${addedP99.toFixed(3)} ms`, budget: "≤ 5 ms", verdict: verdict(addedP99 <= 5) },
]);
console.log(
  `setup: fake node (no latency) and gateway (Redis slots, LOG_LEVEL=${process.env.BENCH_LOG_LEVEL ?? "info"}) on loopback, ${seconds} s per run, 2 cores shared with wrk`,
);

await stop(gateway);
await stop(node);

// ── Vector search benchmark ────────────────────────────────────────────────────────────────
// The second half of bench:ai: 100K × 384-dim vectors over 100 users, recall@10 against
// exact search and p95 per user-filtered query, for each ef_search tried.
console.log("\n## Vector search (pgvector HNSW, user-filtered)\n");
const { benchVectorSearch } = await import("./vector-search");
await benchVectorSearch();
