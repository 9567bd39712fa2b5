// `npm run bench:embed`, or `bun scripts/bench/embed-drain.ts [entries]` with the test services'
// env loaded (PROFILE=1 and CORE_ENV as in profile.ts): the CPU the
// embedding jobs of a burst of creates cost. An API-only core (JOB_WORKERS=off) takes the creates
// and leaves their jobs in Redis; then a core with job workers drains them alone. Prints the drain's
// entries/s and CPU µs per entry of core, its embedded gateway, PostgreSQL and Redis: the work that
// competes with the creates in bench:core's "POST /v1/entries" row.
import { breakdown } from "./breakdown";
import { cpuSeconds, cpuSpent, servicePids, tree } from "./cpu";
import { jobsSettled, seedUser } from "./seed";
import { benchCoreEnv, startServer, stop } from "./spawn";

const entries = Number(process.argv[2] ?? 4000);
const PORT = Number(process.env.BENCH_PORT_BASE ?? 18080) + 6;
const base = `http://127.0.0.1:${PORT}`;
const extra = Object.fromEntries(
  (process.env.CORE_ENV ?? "")
    .split(" ")
    .filter(Boolean)
    .map((kv) => kv.split("=") as [string, string]),
);
const api = await startServer(
  ["bun", "core/src/main.ts"],
  benchCoreEnv(PORT, { JOB_WORKERS: "off", EMBEDDING_SWEEP_MAX: "0", ...extra }),
  `${base}/readyz`,
);
// 64 creates in flight, as bench:core's create row sends them: a turn's creates are coalesced
// into batch jobs (coalesceEmbeddingJobs) as they are there.
const { auth } = await seedUser(base, 0);
const body = JSON.stringify({ title: "bench entry", content: "A short log line about the bike.", tags: ["bench"] });
let next = 0;
await Promise.all(
  Array.from({ length: 64 }, async () => {
    while (next++ < entries) {
      const res = await fetch(`${base}/v1/entries`, { method: "POST", headers: auth, body });
      if (res.status !== 201) throw new Error(`create: ${res.status} ${await res.text()}`);
    }
  }),
);
await stop(api);

const { pg, redis } = servicePids();
// PROFILE=1: the draining core runs under Bun's sampling profiler (as in profile.ts).
const profilePath = `/tmp/tcc-profile/embed-drain-${Date.now()}.cpuprofile`;
const profileFlags =
  process.env.PROFILE === "1" ? ["--cpu-prof", "--cpu-prof-dir=/tmp/tcc-profile", `--cpu-prof-name=${profilePath.split("/").pop()}`] : [];
const workers = await startServer(
  ["bun", ...profileFlags, "core/src/main.ts"],
  benchCoreEnv(PORT, { EMBEDDING_SWEEP_MAX: "0", ...extra }),
  `${base}/readyz`,
);
const groups = { core: () => [workers.pid], gateway: () => tree(workers.pid).slice(1), pg, redis };
const before = cpuSeconds(groups);
const t0 = performance.now();
const fromUs = Date.now() * 1000;
await jobsSettled(base);
const seconds = (performance.now() - t0) / 1000;
const spent = cpuSpent(before, cpuSeconds(groups));
const toUs = Date.now() * 1000;
await stop(workers);
const perEntry = Object.fromEntries(Object.entries(spent).map(([k, s]) => [`${k} µs/entry`, Math.round((s / entries) * 1e6)]));
console.table([{ entries, seconds: seconds.toFixed(1), "entries/s": Math.round(entries / seconds), ...perEntry }]);
if (profileFlags.length) {
  const { parts, totalUs } = breakdown(profilePath, fromUs, toUs);
  const coreUs = ((spent.core ?? 0) / entries) * 1e6;
  const rows = [...parts.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([part, us]) => ({ part, share: `${((us / totalUs) * 100).toFixed(1)}%`, "µs/entry": ((us / totalUs) * coreUs).toFixed(0) }));
  console.table(rows);
  console.log(`profile: ${profilePath}`);
}
