import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cpuSeconds, cpuSpent } from "./cpu";

/**
 * Seconds of warm-up before each measured row (BENCH_WARMUP_SECONDS, 0 for none); a process
 * started for a row gets `FRESH_WARMUP_FACTOR` times as long before its first one.
 */
export const BENCH_WARMUP_S = Number(process.env.BENCH_WARMUP_SECONDS ?? 4);
export const FRESH_WARMUP_FACTOR = 3;

export interface WrkResult {
  name: string;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  requests: number;
  /** CPU microseconds per request spent by each measured process group (see `cpu`). */
  cpuUs: Record<string, number>;
}

export interface WrkRun {
  name: string;
  url: string;
  connections?: number;
  threads?: number;
  seconds?: number;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Paths requested in turn (on `url`'s host) instead of `url`'s own path. */
  paths?: string[];
  /** Process groups whose CPU time is measured over the run, e.g. { core: () => [pid] }. */
  cpu?: Record<string, () => number[]>;
  /**
   * Seconds of the same requests before the measured run, not counted. A process's first
   * seconds on a path (its pools' new connections, JavaScriptCore tiering the code up) cost core
   * and PostgreSQL up to twice the CPU per request of the steady state (docs/benchmarks.md).
   */
  warmupSeconds?: number;
  /** Awaited between the warm-up and the measured run (e.g. for the warm-up's background jobs to finish). */
  afterWarmup?: () => Promise<unknown>;
}

const toMs = (v: string) => {
  const m = v.match(/^([\d.]+)(us|ms|s|m)$/);
  if (!m) return Number.NaN;
  const n = Number(m[1]);
  return m[2] === "us" ? n / 1000 : m[2] === "ms" ? n : m[2] === "s" ? n * 1000 : n * 60_000;
};

/** Runs wrk (Debian's) with --latency and parses req/s, p50, p99 and non-2xx/socket errors. */
export async function wrk(run: WrkRun): Promise<WrkResult> {
  const dir = mkdtempSync(join(tmpdir(), "tcc-wrk-"));
  const script = join(dir, "req.lua");
  const lines = [`wrk.method = ${JSON.stringify(run.method ?? "GET")}`];
  for (const [k, v] of Object.entries(run.headers ?? {})) lines.push(`wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`);
  if (run.body) lines.push(`wrk.body = ${JSON.stringify(run.body)}`);
  if (run.paths?.length) {
    lines.push(`local paths = { ${run.paths.map((p) => JSON.stringify(p)).join(", ")} }`, "local i = 0");
    lines.push("request = function() i = i % #paths + 1; return wrk.format(nil, paths[i]) end");
  }
  writeFileSync(script, `${lines.join("\n")}\n`);
  const args = (seconds: number) => [
    "wrk",
    "--latency",
    `-t${run.threads ?? 2}`,
    `-c${run.connections ?? 64}`,
    `-d${seconds}s`,
    "-s",
    script,
    run.url,
  ];
  if (run.warmupSeconds) {
    await Bun.spawn(args(run.warmupSeconds), { stdout: "ignore", stderr: "ignore" }).exited;
    await run.afterWarmup?.();
  }
  const before = cpuSeconds(run.cpu ?? {});
  const proc = Bun.spawn(args(run.seconds ?? 8), { stdout: "pipe", stderr: "pipe" });
  const out = await new Response(proc.stdout).text();
  await proc.exited;
  const after = cpuSeconds(run.cpu ?? {});
  const rps = Number(out.match(/Requests\/sec:\s+([\d.]+)/)?.[1] ?? 0);
  const p50 = toMs(out.match(/\s50%\s+(\S+)/)?.[1] ?? "");
  const p99 = toMs(out.match(/\s99%\s+(\S+)/)?.[1] ?? "");
  const non2xx = Number(out.match(/Non-2xx or 3xx responses:\s+(\d+)/)?.[1] ?? 0);
  const sock = out.match(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/);
  const errors = non2xx + (sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0);
  const requests = Number(out.match(/(\d+) requests in/)?.[1] ?? 0);
  const cpuUs: Record<string, number> = {};
  for (const [k, spent] of Object.entries(cpuSpent(before, after))) cpuUs[k] = requests ? (spent * 1e6) / requests : Number.NaN;
  return { name: run.name, rps, p50Ms: p50, p99Ms: p99, errors, requests, cpuUs };
}

export function printTable(results: WrkResult[], baseline: WrkResult, extra: Record<string, string> = {}) {
  const rows = results.map((r) => ({
    scenario: r.name,
    "req/s": Math.round(r.rps).toLocaleString("en"),
    "p50 ms": r.p50Ms.toFixed(2),
    "p99 ms": r.p99Ms.toFixed(2),
    "vs bare": `${((r.rps / baseline.rps) * 100).toFixed(1)}%`,
    errors: String(r.errors),
    ...Object.fromEntries(Object.entries(r.cpuUs).map(([k, us]) => [`${k} µs/req`, us.toFixed(0)])),
  }));
  console.table(rows);
  for (const [k, v] of Object.entries(extra)) console.log(`${k}: ${v}`);
}
