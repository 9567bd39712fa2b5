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
