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
 * The environment of a core process under a benchmark: the test services from this process's
 * environment, and rate limits no benchmark reaches.
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
    ...extra,
  };
}
