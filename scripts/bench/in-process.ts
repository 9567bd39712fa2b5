import { createApp } from "../../core/src/app";
import { createServices } from "../../core/src/bootstrap";
import { parseEnv } from "../../core/src/env";

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
