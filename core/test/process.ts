import { join } from "node:path";
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
  const reader = proc.stdout.getReader();
  let out = "";
  // Log lines (a warning at start-up, say) may come before the URL line.
  while (!/running at \S+\s/.test(out)) {
    const { value, done } = await reader.read();
    if (done) break;
    out += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  const url = out.match(/running at (http:\/\/\S+)/)?.[1];
  if (!url) {
    proc.kill("SIGKILL");
    throw new Error(`core did not print its URL; it printed: ${out}`);
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
