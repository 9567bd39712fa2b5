import { existsSync } from "node:fs";
import { join } from "node:path";
import { readUrlLine } from "@tcc/shared/runtime";
import type { Logger } from "../lib/logger";

/** The line ai-gateway/src/main.ts prints once it accepts connections. */
const LISTENING = /AI gateway listening at (\S+)/;
export const GATEWAY_ENTRY = join(import.meta.dir, "../../../ai-gateway/src/main.ts");
export const GATEWAY_START_TIMEOUT_MS = 15_000;

/** The gateway's URL from its start-up line, or null for any other line. */
export function parseListeningLine(line: string): string | null {
  const url = line.match(LISTENING)?.[1];
  if (!url) return null;
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

export interface EmbeddedGatewayOptions {
  dims: number;
  /** Bearer token the child requires on /v1: other local processes cannot use its loopback port. */
  token: string;
  logLevel: string;
  logger: Logger;
  /** For tests; defaults to the repository's ai-gateway. */
  entry?: string;
  timeoutMs?: number;
}

export interface EmbeddedGateway {
  /** Resolves once the gateway listens; rejects with a readable reason if it cannot start. */
  url: Promise<string>;
  stop(): Promise<void>;
}

/**
 * The embedded default's AI: the gateway with its built-in provider (no LM Studio nodes), as a
 * child process on a loopback port of its own choosing. Its later output goes to our stderr, so
 * core's stdout keeps its single start-up line.
 */
export function startEmbeddedGateway(opts: EmbeddedGatewayOptions): EmbeddedGateway {
  const entry = opts.entry ?? GATEWAY_ENTRY;
  if (!existsSync(entry)) {
    const url = Promise.reject(new Error(`no AI gateway: ${entry} is missing and AI_GATEWAY_URL is not set`));
    url.catch(() => {});
    opts.logger.error({ entry }, "AI gateway not found; semantic search and chat are unavailable (set AI_GATEWAY_URL)");
    return { url, stop: async () => {} };
  }
  const child = Bun.spawn([process.execPath, entry], {
    // Only what the gateway needs: core's database and secrets stay out of its environment.
    env: {
      PATH: process.env.PATH ?? "",
      PORT: "0",
      HOST: "127.0.0.1",
      EMBEDDING_DIMS: String(opts.dims),
      LOG_LEVEL: opts.logLevel,
      AI_GATEWAY_TOKEN: opts.token,
      // The gateway stops when this process is gone, even if it is killed outright.
      PARENT_PID: String(process.pid),
    },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "inherit",
  });
  let stopping = false;
  // Whatever way this process ends (short of SIGKILL), the child ends with it: an orphaned
  // gateway would keep its port, and the stdio it shares with us, open.
  const killOnExit = () => child.kill("SIGKILL");
  process.on("exit", killOnExit);
  const url = readUrlLine(child.stdout, child.exited, {
    name: "AI gateway",
    parse: parseListeningLine,
    marker: "listening at",
    timeoutMs: opts.timeoutMs ?? GATEWAY_START_TIMEOUT_MS,
  });
  url.then(
    (u) => opts.logger.info({ url: u, pid: child.pid }, "embedded AI gateway started"),
    (err: Error) => {
      opts.logger.error({ err: err.message }, "embedded AI gateway did not start; semantic search and chat are unavailable");
      child.kill("SIGKILL");
    },
  );
  void child.exited.then((code) => {
    if (!stopping) opts.logger.error({ code }, "embedded AI gateway exited; semantic search and chat are unavailable until restart");
  });
  return {
    url,
    async stop() {
      stopping = true;
      process.off("exit", killOnExit);
      child.kill("SIGTERM");
      const exited = await Promise.race([child.exited.then(() => true), Bun.sleep(5_000).then(() => false)]);
      if (!exited) child.kill("SIGKILL");
    },
  };
}
