import { join } from "node:path";
import { readUrlLine } from "@tcc/shared/runtime";
import type { Subprocess } from "bun";

export interface CoreProcess {
  proc: Subprocess<"ignore", "pipe", "inherit">;
  url: string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number>;
}

/** Starts `src/main.ts` as `npm start` would and waits for the URL line it prints. */
export async function startCore(env: Record<string, string>): Promise<CoreProcess> {
  const proc = Bun.spawn([process.execPath, join(import.meta.dir, "../src/main.ts")], {
    env: { PATH: process.env.PATH ?? "", PORT: "0", LOG_LEVEL: "warn", ...env },
    stdout: "pipe",
    stderr: "inherit",
  });
  let url: string;
  try {
    // Log lines (a warning at start-up, say) may come before the URL line; they go to stderr.
    url = await readUrlLine(proc.stdout, proc.exited, {
      name: "core",
      parse: (line) => line.match(/running at (http:\/\/\S+)/)?.[1] ?? null,
      marker: "running at",
      timeoutMs: 60_000,
    });
  } catch (err) {
    proc.kill("SIGKILL");
    throw err;
  }
  return {
    proc,
    url,
    stop: async () => {
      proc.kill("SIGTERM");
      return proc.exited;
    },
  };
}

/** Whether a process with this pid still exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
