import { z } from "zod";
import type { EdgeMetrics } from "./metrics";
import type { RateLimiter } from "./rate-limiter";

/** The Worker's bindings, as wrangler.toml and terraform/edge declare them. */
export interface Bindings {
  CORE_ORIGIN: string;
  JWT_ISSUER?: string;
  JWT_AUDIENCE?: string;
  JWKS_CACHE_S?: string;
  EDGE_TRUST_SECRET?: string;
  ORIGIN_TIMEOUT_S?: string;
  GALLERY_FRESH_S?: string;
  GALLERY_STORE_S?: string;
  RATE_LIMIT_AUTH?: string;
  RATE_LIMIT_AI?: string;
  RATE_LIMIT_WRITE?: string;
  RATE_LIMIT_READ?: string;
  EDGE_METRICS_TOKEN?: string;
  RATE_LIMITER: DurableObjectNamespace<RateLimiter>;
  EDGE_METRICS: DurableObjectNamespace<EdgeMetrics>;
}

/** `N/S`: N requests per S seconds. */
const Rule = z
  .string()
  .regex(/^\d+\/\d+$/, "expected LIMIT/SECONDS, e.g. 60/60")
  .transform((v) => {
    const [limit, windowS] = v.split("/").map(Number) as [number, number];
    return { limit, windowS };
  })
  .refine((r) => r.limit > 0 && r.windowS > 0, "limit and window must be positive");

const seconds = (fallback: number) => z.coerce.number().positive().default(fallback);

/** Every setting the Worker reads, parsed once per isolate (wrangler.toml [vars] and secrets). */
const EdgeEnv = z.object({
  CORE_ORIGIN: z
    .string()
    .url()
    .transform((v) => v.replace(/\/+$/, "")),
  JWT_ISSUER: z.string().min(1).default("tcc-log"),
  JWT_AUDIENCE: z.string().min(1).default("tcc-log-api"),
  JWKS_CACHE_S: seconds(600),
  EDGE_TRUST_SECRET: z.string().min(32).optional(),
  ORIGIN_TIMEOUT_S: seconds(30),
  GALLERY_FRESH_S: seconds(3),
  GALLERY_STORE_S: seconds(3600),
  RATE_LIMIT_AUTH: Rule.prefault("20/60"),
  RATE_LIMIT_AI: Rule.prefault("20/60"),
  RATE_LIMIT_WRITE: Rule.prefault("120/60"),
  RATE_LIMIT_READ: Rule.prefault("600/60"),
  EDGE_METRICS_TOKEN: z.string().min(16).optional(),
});
export type EdgeConfig = z.infer<typeof EdgeEnv>;
export type RouteClass = "auth" | "ai" | "write" | "read";

const parsed = new WeakMap<object, EdgeConfig>();

/** Throws with every wrong variable named: a misconfigured Worker must fail loudly, not forward blindly. */
export function config(env: Bindings): EdgeConfig {
  let got = parsed.get(env);
  if (!got) {
    const r = EdgeEnv.safeParse(env);
    if (!r.success) throw new Error(`edge configuration: ${r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
    got = r.data;
    parsed.set(env, got);
  }
  return got;
}

export function ruleFor(cfg: EdgeConfig, cls: RouteClass) {
  return { auth: cfg.RATE_LIMIT_AUTH, ai: cfg.RATE_LIMIT_AI, write: cfg.RATE_LIMIT_WRITE, read: cfg.RATE_LIMIT_READ }[cls];
}
