import type { Context } from "hono";
import { type RouteClass, ruleFor } from "./env";
import { errorResponse } from "./errors";
import { countRejected } from "./metrics";
import type { EdgeEnv } from "./types";

/** auth and AI are strict (credential guessing, GPU time), writes moderate, reads loose. */
export function routeClass(method: string, path: string): RouteClass {
  if (path.startsWith("/v1/auth/")) return "auth";
  if (path === "/v1/chat" || path.startsWith("/v1/chat/")) return "ai";
  if (method === "GET" || method === "HEAD" || method === "OPTIONS") return "read";
  return "write";
}

/** The IPv6 /64 a client sits in: one subscriber usually holds the whole prefix. */
export function addressKey(ip: string): string {
  if (!ip.includes(":")) return ip;
  const [head = "", tail = ""] = ip.split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups = ip.includes("::") ? [...left, ...Array(8 - left.length - right.length).fill("0"), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((g) => (Number.parseInt(g || "0", 16) || 0).toString(16))
    .join(":")}::/64`;
}

/** Whose budget a request spends: the verified user, else the client address Cloudflare saw. */
export function limitKey(c: Context<EdgeEnv>): string {
  const claims = c.get("claims");
  if (claims) return `user:${claims.sub}`;
  return `ip:${addressKey(c.req.header("cf-connecting-ip") ?? "unknown")}`;
}

/**
 * Sheds load before it reaches core: one Durable Object call per request that would go to the
 * origin (cache hits spend nothing). Core's own Redis limits stay the authority; these are per
 * route class from RATE_LIMIT_* and answer 429 with Retry-After and RateLimit-* like core.
 */
export async function checkLimit(c: Context<EdgeEnv>): Promise<{ refused: Response } | { headers: Record<string, string> }> {
  const cls = c.get("routeClass");
  const rule = ruleFor(c.get("cfg"), cls);
  const ns = c.env.RATE_LIMITER;
  const d = await ns.get(ns.idFromName(limitKey(c))).hit(cls, rule.limit, rule.windowS);
  const headers = {
    "RateLimit-Limit": String(d.limit),
    "RateLimit-Remaining": String(d.remaining),
    "RateLimit-Reset": String(d.resetS),
  };
  if (d.allowed) return { headers };
  countRejected(c, cls, "rate_limit");
  return { refused: errorResponse(c, "RATE_LIMITED", "Too many requests", 429, { ...headers, "Retry-After": String(d.resetS) }) };
}

/** Adds the edge's RateLimit-* where core sent none of its own (core's are the authority). */
export function withLimitHeaders(res: Response, headers: Record<string, string>): Response {
  for (const [k, v] of Object.entries(headers)) if (!res.headers.has(k)) res.headers.set(k, v);
  return res;
}

/** Limited, then `run` (which goes to the origin). */
export async function limited(c: Context<EdgeEnv>, run: () => Promise<Response>): Promise<Response> {
  const got = await checkLimit(c);
  if ("refused" in got) return got.refused;
  return withLimitHeaders(await run(), got.headers);
}
