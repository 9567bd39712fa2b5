import { createApp } from "../../core/src/app";
import { createServices } from "../../core/src/bootstrap";
import { parseEnv } from "../../core/src/env";
import { cpuSeconds, cpuSpent } from "./cpu";

/**
 * Core's services and app in this process (no job workers, limits no bench reaches) and one
 * registered user: what the part-by-part benchmarks (parts.ts, create-parts.ts) call into.
 */
export async function inProcessCore(label: string) {
  const env = parseEnv({
    ...process.env,
    DATA_DIR: "/tmp/tcc-bench-data",
    LOG_LEVEL: "info",
    RATE_LIMIT_USER_PER_MIN: "100000000",
    RATE_LIMIT_IP_PER_MIN: "100000000",
    RATE_LIMIT_AUTH_PER_MIN: "100000000",
    JOB_WORKERS: "off",
  });
  const s = await createServices(env);
  const app = createApp(s);
  const reg = await app.request("/v1/auth/register", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: `${label}-${Date.now()}@example.test`, password: "benchmark password" }),
  });
  const { accessToken, user } = (await reg.json()) as { accessToken: string; user: { id: string } };
  const auth = { authorization: `Bearer ${accessToken}`, "content-type": "application/json" };
  return { env, s, app, accessToken, user, auth };
}

/**
 * CPU microseconds per call of `run`, `n` calls with `inFlight` of them at once (as wrk's 64
 * connections), after a warm-up: this process's ("core"), and PostgreSQL's and Redis's when
 * their processes are given (cpu.ts servicePids()).
 */
export async function cpuPerCall(
  run: () => unknown,
  o: { n: number; inFlight: number; warmup: number; services?: Record<string, () => number[]> },
): Promise<{ core: number; pg: number; redis: number }> {
  for (let i = 0; i < o.warmup; i++) await run();
  const before = o.services ? cpuSeconds(o.services) : undefined;
  const c0 = process.cpuUsage();
  let left = o.n;
  await Promise.all(
    Array.from({ length: o.inFlight }, async () => {
      while (left-- > 0) await run();
    }),
  );
  const c = process.cpuUsage(c0);
  const spent = before && o.services ? cpuSpent(before, cpuSeconds(o.services)) : {};
  return { core: (c.user + c.system) / o.n, pg: ((spent.pg ?? 0) * 1e6) / o.n, redis: ((spent.redis ?? 0) * 1e6) / o.n };
}
