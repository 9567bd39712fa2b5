// `npm run bench:core`: core against the real test services, every figure a ratio of a bare
// Bun.serve measured in the same run. Not a test: it prints a table for the closing note.
import { peakRssMb, startServer, stop } from "./spawn";
import { printTable, wrk } from "./wrk";

const { DATABASE_URL, DATABASE_REPLICA_URLS = "", REDIS_URL } = process.env;
if (!DATABASE_URL || !REDIS_URL) throw new Error("run through `npm run bench:core`, which starts PostgreSQL and Redis");
const seconds = Number(process.env.BENCH_SECONDS ?? 8);
const BARE = 18080;
const CORE = 18081;
const CORE_NOCACHE = 18082;
const coreEnv = (port: number, extra: Record<string, string> = {}) => ({
  PORT: String(port),
  DATABASE_URL,
  DATABASE_REPLICA_URLS,
  REDIS_URL,
  DATA_DIR: "/tmp/tcc-bench-data",
  LOG_LEVEL: "info",
  RATE_LIMIT_USER_PER_MIN: "100000000",
  RATE_LIMIT_IP_PER_MIN: "100000000",
  RATE_LIMIT_AUTH_PER_MIN: "100000000",
  ...extra,
});

const bare = await startServer(["bun", "scripts/bench/bare-server.ts", String(BARE)], {}, `http://127.0.0.1:${BARE}/`);
const core = await startServer(["bun", "core/src/main.ts"], coreEnv(CORE), `http://127.0.0.1:${CORE}/readyz`);
const base = `http://127.0.0.1:${CORE}`;

// Seed one user with a realistic log.
const email = `bench-${Date.now()}@example.test`;
const reg = await fetch(`${base}/v1/auth/register`, {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ email, password: "benchmark password" }),
});
const { accessToken } = (await reg.json()) as { accessToken: string };
const auth = { authorization: `Bearer ${accessToken}`, "content-type": "application/json" };
const words = ["bike", "chain", "service", "run", "garden", "decision", "meeting", "recipe", "travel", "budget", "book", "idea"];
let firstId = "";
for (let i = 0; i < 2000; i++) {
  const pick = (n: number) => words[(i * 7 + n * 3) % words.length];
  const res = await fetch(`${base}/v1/entries`, {
    method: "POST",
    headers: auth,
    body: JSON.stringify({
      title: `${pick(0)} ${pick(1)} note ${i}`,
      content: `Today: ${pick(2)} and ${pick(3)}. `.repeat(20),
      tags: [pick(4) as string, pick(5) as string],
    }),
  });
  if (i === 0) firstId = ((await res.json()) as { id: string }).id;
  else await res.arrayBuffer();
}
// Let the replica catch up and the read-your-writes window pass, then warm the caches.
await Bun.sleep(6_000);
await fetch(`${base}/v1/entries`, { headers: auth });
await fetch(`${base}/v1/entries?limit=5`, { headers: auth });
await fetch(`${base}/v1/entries/${firstId}`, { headers: auth });

const baseline = await wrk({ name: "bare Bun.serve", url: `http://127.0.0.1:${BARE}/`, seconds });
const results = [baseline];
results.push(await wrk({ name: "GET /v1/entries (cached, 25 items)", url: `${base}/v1/entries`, headers: auth, seconds }));
results.push(
  await wrk({
    name: "GET /v1/entries (cached, gzip)",
    url: `${base}/v1/entries`,
    headers: { ...auth, "accept-encoding": "gzip" },
    seconds,
  }),
);
results.push(await wrk({ name: "GET /v1/entries?limit=5 (cached)", url: `${base}/v1/entries?limit=5`, headers: auth, seconds }));
results.push(await wrk({ name: "GET /v1/entries/:id (cached)", url: `${base}/v1/entries/${firstId}`, headers: auth, seconds }));

const nocache = await startServer(
  ["bun", "core/src/main.ts"],
  coreEnv(CORE_NOCACHE, { READ_CACHE: "off" }),
  `http://127.0.0.1:${CORE_NOCACHE}/readyz`,
);
results.push(
  await wrk({
    name: "GET /v1/entries/:id (uncached)",
    url: `http://127.0.0.1:${CORE_NOCACHE}/v1/entries/${firstId}`,
    headers: auth,
    seconds,
  }),
);
await stop(nocache);

results.push(await wrk({ name: "GET /v1/search?q=bike service", url: `${base}/v1/search?q=bike%20service`, headers: auth, seconds }));
const rssBefore = await peakRssMb(core.pid);
const create = await wrk({
  name: "POST /v1/entries",
  url: `${base}/v1/entries`,
  method: "POST",
  headers: auth,
  body: JSON.stringify({ title: "bench entry", content: "A short log line about the bike.", tags: ["bench"] }),
  seconds,
});
results.push(create);
const rssPeak = await peakRssMb(core.pid);

printTable(results.slice(1), baseline, {
  "bare Bun.serve": `${Math.round(baseline.rps).toLocaleString("en")} req/s, p50 ${baseline.p50Ms.toFixed(2)} ms, p99 ${baseline.p99Ms.toFixed(2)} ms`,
  "core peak RSS (VmHWM)": `${rssBefore.toFixed(0)} MB before create, ${rssPeak.toFixed(0)} MB after`,
  connections: "64, wrk -t2, loopback, 2 cores shared by wrk, core, Postgres and Redis",
});

await stop(core);
await stop(bare);
