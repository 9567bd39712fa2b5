// `npm run bench:core`: core against the real test services, every figure a ratio of a bare
// Bun.serve measured in the same run. Not a test: it prints a table for the closing note.
// Besides req/s, each row gives the CPU microseconds per request of core, PostgreSQL and Redis
// (from /proc): on a shared 2-core machine these move much less than req/s between runs.
// BENCH_ONLY=read|search|create measures only those rows (and the bare baseline). Each row is
// measured after BENCH_WARMUP_SECONDS of the same requests (default 4; three times that on the
// API-only process, started just before its first row), so that rows compare steady states.
import { servicePids } from "./cpu";
import { jobsSettled, seedUser } from "./seed";
import { BENCH_CORE_HEAP_GROWTH, BENCH_CORE_RAM_BYTES, benchCoreEnv, peakRssMb, startServer, stop } from "./spawn";
import { BENCH_WARMUP_S, FRESH_WARMUP_FACTOR, wrk as measure, printTable, type WrkRun } from "./wrk";

const { DATABASE_URL, REDIS_URL } = process.env;
if (!DATABASE_URL || !REDIS_URL) throw new Error("run through `npm run bench:core`, which starts PostgreSQL and Redis");
const seconds = Number(process.env.BENCH_SECONDS ?? 8);
const only = process.env.BENCH_ONLY;
if (only && !["read", "search", "create"].includes(only)) throw new Error("BENCH_ONLY: read, search or create");
const want = (group: "read" | "search" | "create") => !only || only === group;
const PORTS = Number(process.env.BENCH_PORT_BASE ?? 18080);
const BARE = PORTS;
const CORE = PORTS + 1;
const CORE_NOCACHE = PORTS + 2;

const bare = await startServer(["bun", "scripts/bench/bare-server.ts", String(BARE)], {}, `http://127.0.0.1:${BARE}/`);
const core = await startServer(["bun", "core/src/main.ts"], benchCoreEnv(CORE), `http://127.0.0.1:${CORE}/readyz`);
const base = `http://127.0.0.1:${CORE}`;

// One user with a realistic log, whose reads and searches are measured; the create rows write as
// a second user, so that the search row searches the same 2,000 entries however fast they wrote.
const { auth, firstId, ids } = await seedUser(base, 2000);
const { auth: writer } = await seedUser(base, 0);
// Let the seed's embedding jobs finish, the replica catch up and the read-your-writes window pass,
// then warm the caches.
await jobsSettled(base);
await Bun.sleep(2_000);
await fetch(`${base}/v1/entries`, { headers: auth });
await fetch(`${base}/v1/entries?limit=5`, { headers: auth });
await fetch(`${base}/v1/entries/${firstId}`, { headers: auth });

const { pg, redis } = servicePids();
const cpuOf = (pid: number) => ({ core: () => [pid], pg, redis });
const warmupSeconds = BENCH_WARMUP_S;
// Which part of the run raised a core process's peak RSS: its VmHWM after the seed and each row.
const peaks = [`after the seed and its jobs ${(await peakRssMb(core.pid)).toFixed(0)}`];
const wrk = async (run: WrkRun) => {
  const result = await measure({ warmupSeconds, ...run });
  const pid = run.cpu?.core?.()[0];
  if (pid !== undefined && pid !== bare.pid) peaks.push(`${run.name} ${(await peakRssMb(pid)).toFixed(0)}`);
  return result;
};
const baseline = await wrk({ name: "bare Bun.serve", url: `http://127.0.0.1:${BARE}/`, seconds, cpu: cpuOf(bare.pid) });
const cpu = cpuOf(core.pid);
const results = [baseline];
if (want("read")) {
  results.push(await wrk({ name: "GET /v1/entries (cached, 25 items)", url: `${base}/v1/entries`, headers: auth, seconds, cpu }));
  results.push(
    await wrk({
      name: "GET /v1/entries (cached, gzip)",
      url: `${base}/v1/entries`,
      headers: { ...auth, "accept-encoding": "gzip" },
      seconds,
      cpu,
    }),
  );
  results.push(await wrk({ name: "GET /v1/entries?limit=5 (cached)", url: `${base}/v1/entries?limit=5`, headers: auth, seconds, cpu }));
  results.push(await wrk({ name: "GET /v1/entries/:id (cached)", url: `${base}/v1/entries/${firstId}`, headers: auth, seconds, cpu }));
}

// A second process: no read cache, and no job workers (an API-only pod, its jobs left in Redis for
// worker pods), for the uncached read and the create without embedding work on the same cores.
const nocache = await startServer(
  ["bun", "core/src/main.ts"],
  benchCoreEnv(CORE_NOCACHE, { READ_CACHE: "off", JOB_WORKERS: "off" }),
  `http://127.0.0.1:${CORE_NOCACHE}/readyz`,
);
// Its first row warms up longer: a fresh process's first seconds open its pools' connections and
// tier the code up, at up to twice the CPU per request of core and PostgreSQL (docs/benchmarks.md).
let nocacheFresh = true;
const onNocache = (run: WrkRun) => {
  const warm = nocacheFresh ? warmupSeconds * FRESH_WARMUP_FACTOR : warmupSeconds;
  nocacheFresh = false;
  return wrk({ ...run, warmupSeconds: warm });
};
if (want("read")) {
  results.push(
    await onNocache({
      name: "GET /v1/entries/:id (uncached)",
      url: `http://127.0.0.1:${CORE_NOCACHE}/v1/entries/${firstId}`,
      headers: auth,
      seconds,
      cpu: cpuOf(nocache.pid),
    }),
  );
  // A different entry each request, as readers of many entries make: no two reads of a turn share a row.
  results.push(
    await onNocache({
      name: "GET /v1/entries/:id (uncached, 2,000 ids)",
      url: `http://127.0.0.1:${CORE_NOCACHE}/`,
      paths: ids.map((id) => `/v1/entries/${id}`),
      headers: auth,
      seconds,
      cpu: cpuOf(nocache.pid),
    }),
  );
}
const createBody = JSON.stringify({ title: "bench entry", content: "A short log line about the bike.", tags: ["bench"] });
if (want("create")) {
  results.push(
    await onNocache({
      name: "POST /v1/entries (JOB_WORKERS=off)",
      url: `http://127.0.0.1:${CORE_NOCACHE}/v1/entries`,
      method: "POST",
      headers: writer,
      body: createBody,
      seconds,
      cpu: cpuOf(nocache.pid),
      // The other process's job workers embed the warm-up's entries; not in this row's window.
      afterWarmup: () => jobsSettled(base),
    }),
  );
}
const rssApiPod = await peakRssMb(nocache.pid);
await stop(nocache);

if (want("search")) {
  // The creates before this row left their embedding jobs queued (they yield to the creates):
  // search is measured on a settled index, not against the draining of that backlog.
  await jobsSettled(base);
  results.push(
    await wrk({ name: "GET /v1/search?q=bike service", url: `${base}/v1/search?q=bike%20service`, headers: auth, seconds, cpu }),
  );
}
const rssBefore = await peakRssMb(core.pid);
if (want("create")) {
  results.push(
    await wrk({
      name: "POST /v1/entries",
      url: `${base}/v1/entries`,
      method: "POST",
      headers: writer,
      body: createBody,
      seconds,
      cpu,
      // The seed's 2,000 creates warmed this path; a warm-up's embedding jobs would run in the window.
      warmupSeconds: 0,
    }),
  );
}
const rssPeak = await peakRssMb(core.pid);

// The budget's figure: VmHWM, the peak over each process's whole run (start-up, the seed and its
// embedding jobs, every scenario it served), not a sample; both processes serve a create row.
printTable(results, baseline, {
  "core peak RSS (VmHWM over each process's whole run), budget < 150 MB": `${rssPeak.toFixed(0)} MB, the process with job workers (${rssBefore.toFixed(0)} MB before its create scenario); ${rssApiPod.toFixed(0)} MB, the API-only process`,
  "core VmHWM after each part, MB": peaks.join("; "),
  connections: "64, wrk -t2, loopback, 2 cores shared by wrk, core, Postgres and Redis; µs/req: CPU per request of each process",
  "warm-up": `${warmupSeconds} s of each row's requests before it (BENCH_WARMUP_SECONDS), ${warmupSeconds * FRESH_WARMUP_FACTOR} s on the fresh API-only process`,
  "core's collections paced to":
    BENCH_CORE_RAM_BYTES === "0"
      ? "the machine's RAM (BENCH_CORE_RAM_BYTES=0)"
      : `${Number(BENCH_CORE_RAM_BYTES) / 2 ** 20} MiB, as in its pod (BUN_JSC_forceRAMSize)${BENCH_CORE_HEAP_GROWTH ? `; the next full collection at ${BENCH_CORE_HEAP_GROWTH}× the heap the last one left (BENCH_CORE_HEAP_GROWTH)` : ""}`,
});

await stop(core);
await stop(bare);
