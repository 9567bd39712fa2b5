// `npm run bench:alternatives`: the same core, once on its clients (ioredis, postgres.js) and once
// on Bun's own (RedisClient for the gate, Bun.sql under Drizzle; scripts/bench/alternatives/),
// each path measured on both in one run, in turn and then in the reverse order, next to a bare
// Bun.serve. Issue 11 keeps ioredis and postgres.js; this shows what they cost. Each run follows
// a warm-up of the same requests (BENCH_WARMUP_SECONDS, longer on a process's first run).
import { servicePids } from "./cpu";
import { jobsSettled, seedUser } from "./seed";
import { benchCoreEnv, startServer, stop } from "./spawn";
import { BENCH_WARMUP_S, FRESH_WARMUP_FACTOR, printTable, type WrkResult, wrk } from "./wrk";

const { DATABASE_URL, REDIS_URL } = process.env;
if (!DATABASE_URL || !REDIS_URL) throw new Error("run through `npm run bench:alternatives`, which starts PostgreSQL and Redis");
const seconds = Number(process.env.BENCH_SECONDS ?? 6);
const PORTS = Number(process.env.BENCH_PORT_BASE ?? 18080) + 20;
// Both stacks ask Redis on every request (no gate leases): this compares the clients.
const ours = { name: "ioredis + postgres.js", main: "core/src/main.ts", env: { GATE_LEASE_MS: "0" } };
const bunClients = { name: "Bun RedisClient + Bun.sql", main: "scripts/bench/alternatives/main.ts", env: { GATE_LEASE_MS: "0" } };
// The create statement binds its tags as jsonb, which Bun.sql sends differently
// (alternatives/main.ts): the create compares the Redis clients only.
const bunRedis = {
  name: "Bun RedisClient + postgres.js",
  main: "scripts/bench/alternatives/main.ts",
  env: { BENCH_ALT_SQL: "off", GATE_LEASE_MS: "0" },
};
const { pg, redis } = servicePids();

const bare = await startServer(["bun", "scripts/bench/bare-server.ts", String(PORTS)], {}, `http://127.0.0.1:${PORTS}/`);
const baseline = await wrk({
  name: "bare Bun.serve",
  url: `http://127.0.0.1:${PORTS}/`,
  seconds,
  cpu: { core: () => [bare.pid] },
  warmupSeconds: BENCH_WARMUP_S,
});
await stop(bare);
const results: WrkResult[] = [baseline];

/** Both stacks with the same settings; each path on A, B, then B, A; the two runs of a stack averaged. */
async function compare(
  stacks: (typeof ours)[],
  extra: Record<string, string>,
  paths: { name: string; path: string; method?: string; body?: string }[],
) {
  const cores = [];
  for (const [i, stack] of stacks.entries()) {
    const port = PORTS + 1 + i;
    cores.push({
      stack,
      port,
      proc: await startServer(["bun", stack.main], benchCoreEnv(port, { ...extra, ...stack.env }), `http://127.0.0.1:${port}/readyz`),
    });
  }
  const first = cores[0] as (typeof cores)[number];
  const { auth, firstId } = await seedUser(`http://127.0.0.1:${first.port}`, 200);
  // Without job workers the seed's embedding jobs wait in Redis for a worker, off the measurement.
  if (extra.JOB_WORKERS !== "off") await jobsSettled(`http://127.0.0.1:${first.port}`);
  await Bun.sleep(1_500); // read-your-writes window, replica catch-up
  for (const p of paths) {
    const path = p.path.replace(":id", firstId);
    const runs = new Map<string, WrkResult[]>();
    const warmed = new Set<number>();
    for (const c of [...cores, ...[...cores].reverse()]) {
      const warmupSeconds = warmed.has(c.port) ? BENCH_WARMUP_S : BENCH_WARMUP_S * FRESH_WARMUP_FACTOR;
      warmed.add(c.port);
      const r = await wrk({
        warmupSeconds,
        name: `${p.name} — ${c.stack.name}`,
        url: `http://127.0.0.1:${c.port}${path}`,
        method: p.method,
        body: p.body,
        headers: auth,
        seconds,
        cpu: { core: () => [c.proc.pid], pg, redis },
      });
      runs.set(r.name, [...(runs.get(r.name) ?? []), r]);
    }
    for (const [name, [a, b]] of runs) results.push(average(name, a as WrkResult, b as WrkResult));
  }
  for (const c of cores) await stop(c.proc);
}

function average(name: string, a: WrkResult, b: WrkResult): WrkResult {
  const mean = (x: number, y: number) => (x + y) / 2;
  const cpuUs = Object.fromEntries(Object.keys(a.cpuUs).map((k) => [k, mean(a.cpuUs[k] ?? 0, b.cpuUs[k] ?? 0)]));
  return {
    name,
    rps: mean(a.rps, b.rps),
    p50Ms: mean(a.p50Ms, b.p50Ms),
    p99Ms: Math.max(a.p99Ms, b.p99Ms),
    errors: a.errors + b.errors,
    requests: a.requests + b.requests,
    cpuUs,
  };
}

await compare([ours, bunClients], {}, [{ name: "GET /v1/entries/:id (cached)", path: "/v1/entries/:id" }]);
await compare([ours, bunClients], { READ_CACHE: "off", JOB_WORKERS: "off" }, [
  { name: "GET /v1/entries/:id (uncached)", path: "/v1/entries/:id" },
]);
await compare([ours, bunRedis], { JOB_WORKERS: "off" }, [
  {
    name: "POST /v1/entries (JOB_WORKERS=off)",
    path: "/v1/entries",
    method: "POST",
    body: JSON.stringify({ title: "bench entry", content: "A short log line about the bike.", tags: ["bench"] }),
  },
]);
printTable(results, baseline, {
  runs: "each path on both stacks in turn, then in reverse order; req/s and µs averaged over the two, p99 the worse",
});
