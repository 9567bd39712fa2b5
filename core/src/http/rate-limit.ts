import type { Context, MiddlewareHandler } from "hono";
import { AppError } from "../errors";
import type { RateDecision } from "../lib/gcra";
import { clientIp } from "./client-ip";
import type { AppEnv } from "./types";

export const MINUTE = 60_000;

export function applyHeaders(c: Context, d: RateDecision) {
  c.header("RateLimit-Limit", String(d.limit));
  c.header("RateLimit-Remaining", String(d.remaining));
  c.header("RateLimit-Reset", String(Math.ceil(d.resetMs / 1000)));
}

export function refuse<E extends AppEnv>(c: Context<E>, scope: string, d: RateDecision): never {
  c.get("services").metrics.rateLimited.inc({ scope });
  const retryAfter = String(Math.max(1, Math.ceil(d.retryAfterMs / 1000)));
  throw new AppError(
    "RATE_LIMITED",
    "Too many requests",
    { scope },
    {
      "Retry-After": retryAfter,
      "RateLimit-Limit": String(d.limit),
      "RateLimit-Remaining": "0",
      "RateLimit-Reset": retryAfter,
    },
  );
}

/** Per-IP limit for the routes that take no token; `scope` separates the stricter auth budget. */
export function limitByIp(scope: "ip" | "auth"): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const { limiter, env } = c.get("services");
    const limit = scope === "auth" ? env.RATE_LIMIT_AUTH_PER_MIN : env.RATE_LIMIT_IP_PER_MIN;
    const d = await limiter.check(`tcc:rl:${scope}:${clientIp(c, env.TRUST_PROXY)}`, { limit, periodMs: MINUTE });
    if (!d.allowed) refuse(c, scope, d);
    if (scope === "ip") applyHeaders(c, d);
    await next();
  };
}
