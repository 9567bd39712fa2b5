// `bun scripts/bench/profile.ts <scenario> [seconds]` (with the test services' env loaded): one
// core process, one wrk scenario, then CPU per request of core, PostgreSQL and Redis. With
// PROFILE=1, core runs under Bun's sampling profiler and writes a Markdown profile to
// /tmp/tcc-profile/ on exit. BUN_FLAGS (e.g. "--smol") and CORE_ENV ("DB_POOL_MAX=4 JOB_WORKERS=off")
// change how core runs. For finding where a request's microseconds go; `bench:core` is the
// table of record.
import { breakdown } from "./breakdown";
import { servicePids, tree } from "./cpu";
import { jobsSettled, seedUser } from "./seed";
import { benchCoreEnv, peakRssMb, startServer, stop } from "./spawn";
import { printTable, wrk } from "./wrk";

const scenario = process.argv[2] ?? "cached-get";
const seconds = Number(process.argv[3] ?? 8);
const { DATABASE_URL, REDIS_URL } = process.env;
if (!DATABASE_URL || !REDIS_URL) throw new Error("load the test services' env first");
const PORT = Number(process.env.BENCH_PORT_BASE ?? 18080) + 5;
const base = `http://127.0.0.1:${PORT}`;
const profile = process.env.PROFILE === "1";
const profilePath = `/tmp/tcc-profile/${scenario}-${Date.now()}.cpuprofile`;
const cmd = [
  "bun",
  ...(process.env.BUN_FLAGS ? process.env.BUN_FLAGS.split(" ") : []),
  ...(profile ? ["--cpu-prof", "--cpu-prof-dir=/tmp/tcc-profile", `--cpu-prof-name=${profilePath.split("/").pop()}`] : []),
  "core/src/main.ts",
];
const core = await startServer(
  cmd,
  benchCoreEnv(PORT, {
    LOG_LEVEL: process.env.LOG_LEVEL ?? "info",
    READ_CACHE: scenario === "uncached-get" ? "off" : "on",
    ...Object.fromEntries(
      (process.env.CORE_ENV ?? "")
        .split(" ")
        .filter(Boolean)
        .map((kv) => kv.split("=") as [string, string]),
    ),
  }),
  `${base}/readyz`,
);
const { auth, firstId } = await seedUser(base, Number(process.env.SEED ?? 200));
// The seed's embedding jobs; a process without job workers leaves them queued for good.
if (!/JOB_WORKERS=off/.test(process.env.CORE_ENV ?? "")) await jobsSettled(base);
await Bun.sleep(1_500); // read-your-writes window, replica catch-up
await fetch(`${base}/v1/entries/${firstId}`, { headers: auth });
const { pg, redis } = servicePids();
const cpu = { core: () => [core.pid], "core's children": () => tree(core.pid).slice(1), pg, redis };
const runs = {
  "cached-get": { url: `${base}/v1/entries/${firstId}` },
  "uncached-get": { url: `${base}/v1/entries/${firstId}` },
  "cached-list": { url: `${base}/v1/entries?limit=5` },
  "cached-list-25": { url: `${base}/v1/entries` },
  create: {
    url: `${base}/v1/entries`,
    method: "POST",
    body: JSON.stringify({ title: "bench entry", content: "A short log line about the bike.", tags: ["bench"] }),
  },
} as const;
const run = runs[scenario as keyof typeof runs];
if (!run) throw new Error(`scenario: one of ${Object.keys(runs).join(", ")}`);
const fromUs = Date.now() * 1000;
const r = await wrk({ name: scenario, headers: auth, seconds, cpu, connections: Number(process.env.CONNECTIONS ?? 64), ...run });
const toUs = Date.now() * 1000;
const rss = await peakRssMb(core.pid);
printTable([r], r, { "core peak RSS (VmHWM)": `${rss.toFixed(0)} MB` });
await stop(core);
if (profile) {
  // Shares of the sampled time in the run's window, scaled to core's measured CPU per request.
  const { parts, totalUs } = breakdown(profilePath, fromUs + 500_000, toUs - 200_000);
  const perReq = r.cpuUs.core ?? 0;
  const rows = [...parts.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([part, us]) => ({ part, share: `${((us / totalUs) * 100).toFixed(1)}%`, "µs/req": ((us / totalUs) * perReq).toFixed(0) }));
  console.table(rows);
  console.log(`profile: ${profilePath}`);
}
