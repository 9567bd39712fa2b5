import { join } from "node:path";
import { readUrlLine } from "@tcc/shared/runtime";
import type { Subprocess } from "bun";
import { createApp } from "../src/app";
import { closeServices, createServices } from "../src/bootstrap";
import { parseEnv } from "../src/env";
import { createLogger } from "../src/lib/logger";
import type { Services } from "../src/services";

/** Real Redis comes from scripts/test.sh; running without it is a setup mistake, so say so. */
export function redisUrl(): string {
  const url = process.env.REDIS_URL;
  if (!url) throw new Error("REDIS_URL is not set: run the suite with `npm test`, which starts Redis");
  return url;
}

/** A name no other test (or earlier run against the same Redis) has used: users, prompts. */
export const unique = (label: string) => `${label}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

export interface NodeSpec {
  url: string;
  maxConcurrent?: number;
  models?: string[];
}

export interface TestGateway {
  url: string;
  services: Services;
  post(path: string, body: unknown, headers?: Record<string, string>, signal?: AbortSignal): Promise<Response>;
  get(path: string, headers?: Record<string, string>): Promise<Response>;
  close(): Promise<void>;
}

/** The real app over real services (Redis unless `redis: false`), served on a loopback port. */
export async function startGateway(opts: { nodes?: NodeSpec[]; env?: Record<string, string>; redis?: boolean } = {}): Promise<TestGateway> {
  const env = parseEnv({
    LOG_LEVEL: "silent",
    REDIS_URL: opts.redis === false ? undefined : redisUrl(),
    LMSTUDIO_NODES: opts.nodes ? JSON.stringify(opts.nodes) : undefined,
    AI_HEALTH_INTERVAL_MS: "200",
    AI_RETRY_BASE_MS: "5",
    ...opts.env,
  });
  const services = await createServices(env, { logger: createLogger("silent"), defaultMetrics: false });
  const app = createApp(services);
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: app.fetch, idleTimeout: 0 });
  const url = `http://127.0.0.1:${server.port}`;
  return {
    url,
    services,
    post: (path, body, headers = {}, signal) =>
      fetch(url + path, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: typeof body === "string" ? body : JSON.stringify(body),
        signal,
      }),
    get: (path, headers = {}) => fetch(url + path, { headers }),
    close: async () => {
      await server.stop(true);
      await closeServices(services);
    },
  };
}

/** A response's JSON, loosely typed as tests read it. */
export const json = (res: Response): Promise<any> => res.json();

export function chatBody(model: string, text: string, extra: Record<string, unknown> = {}) {
  return { model, messages: [{ role: "user", content: text }], ...extra };
}

export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await Bun.sleep(10);
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}

export interface GatewayProcess {
  proc: Subprocess<"ignore", "pipe", "inherit">;
  url: string;
  stop(): Promise<number>;
}

/** Starts `src/main.ts` as core's embedded mode does, and reads the URL line it prints. */
export async function startGatewayProcess(env: Record<string, string>): Promise<GatewayProcess> {
  const proc = Bun.spawn([process.execPath, join(import.meta.dir, "../src/main.ts")], {
    env: { PATH: process.env.PATH ?? "", PORT: "0", LOG_LEVEL: "warn", ...env },
    stdout: "pipe",
    stderr: "inherit",
  });
  let url: string;
  try {
    // Log lines may come first; the URL line is the one core's embedded mode looks for too.
    url = await readUrlLine(proc.stdout, proc.exited, {
      name: "the gateway",
      parse: (line) => line.match(/^AI gateway listening at (http:\/\/\S+)$/)?.[1] ?? null,
      marker: "AI gateway listening at",
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
