import type { Subprocess } from "bun";

/** Starts a server process and waits until `readyUrl` answers 200. */
export async function startServer(cmd: string[], env: Record<string, string>, readyUrl: string, timeoutMs = 60_000): Promise<Subprocess> {
  const proc = Bun.spawn(cmd, { env: { ...process.env, ...env }, stdout: "ignore", stderr: "inherit" });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(readyUrl)).ok) return proc;
    } catch {}
    await Bun.sleep(100);
  }
  proc.kill();
  throw new Error(`${cmd.join(" ")} did not become ready at ${readyUrl}`);
}

/** Peak resident memory (VmHWM) of a process, in MB. */
export async function peakRssMb(pid: number): Promise<number> {
  const status = await Bun.file(`/proc/${pid}/status`).text();
  const kb = Number(status.match(/VmHWM:\s+(\d+)/)?.[1] ?? 0);
  return kb / 1024;
}

export async function stop(proc: Subprocess) {
  proc.kill("SIGTERM");
  await proc.exited;
}

/**
 * The memory a benchmarked core paces its full collections to, as in its Kubernetes pod (the
 * pod's memory request, terraform/modules/core-k8s): here there is no cgroup limit, and Bun would
 * pace them to the machine's 24 GB. BENCH_CORE_RAM_BYTES=0 measures without it.
 */
export const BENCH_CORE_RAM_BYTES = process.env.BENCH_CORE_RAM_BYTES ?? String(512 * 1024 * 1024);

/**
 * BENCH_CORE_HEAP_GROWTH=1.5 starts core with BUN_JSC_smallHeapGrowthFactor=1.5: the next full
 * collection when the heap reaches 1.5 times what the last one left (JavaScriptCore's default 2,
 * which core runs with; it applies while the memory paced to is under 16 GB). Measured and not
 * shipped: docs/benchmarks.md, "Core's memory".
 */
export const BENCH_CORE_HEAP_GROWTH = process.env.BENCH_CORE_HEAP_GROWTH ?? "";

/**
 * The environment of a core process under a benchmark: the test services from this process's
 * environment, rate limits no benchmark reaches, and the pod's memory pacing.
 */
export function benchCoreEnv(port: number, extra: Record<string, string> = {}): Record<string, string> {
  const { DATABASE_URL = "", DATABASE_REPLICA_URLS = "", REDIS_URL = "" } = process.env;
  return {
    PORT: String(port),
    DATABASE_URL,
    DATABASE_REPLICA_URLS,
    REDIS_URL,
    DATA_DIR: "/tmp/tcc-bench-data",
    LOG_LEVEL: "info",
    RATE_LIMIT_USER_PER_MIN: "100000000",
    RATE_LIMIT_IP_PER_MIN: "100000000",
    RATE_LIMIT_AUTH_PER_MIN: "100000000",
    ...(BENCH_CORE_RAM_BYTES !== "0" ? { BUN_JSC_forceRAMSize: BENCH_CORE_RAM_BYTES } : {}),
    ...(BENCH_CORE_HEAP_GROWTH ? { BUN_JSC_smallHeapGrowthFactor: BENCH_CORE_HEAP_GROWTH } : {}),
    ...extra,
  };
}
