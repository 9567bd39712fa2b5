// `bun scripts/bench/parts.ts` (test services' env loaded): CPU microseconds per call of each part of
// an authenticated cached read, measured in this process (64 calls in flight, as wrk's 64
// connections), the old way and the new way side by side in one run. Also Bun's own Redis client
// next to ioredis, as the issue asks for the stack's alternatives. For docs/benchmarks.md.

import type { LeasedGate } from "../../core/src/lib/gate-lease";
import { createLogger, createRequestLogger } from "../../core/src/lib/logger";
import { ReadCache } from "../../core/src/lib/read-cache";
import type { RedisKV } from "../../core/src/lib/redis-kv";
import { cpuPerCall, inProcessCore } from "./in-process";

const N = Number(process.env.PARTS_N ?? 20_000);
const C = 64;

const { env, s, app, accessToken, user, auth } = await inProcessCore("parts");
const made = await app.request("/v1/entries", {
  method: "POST",
  headers: auth,
  body: JSON.stringify({ title: "parts", content: "x ".repeat(300) }),
});
const { id } = (await made.json()) as { id: string };
await Bun.sleep(env.DB_READ_YOUR_WRITES_MS + 200);
const redis = (s.kv as RedisKV).redis;
const userId = user.id;
const gateInput = {
  ipKey: "tcc:rl:ip:bench",
  ipRule: { limit: 1e8, periodMs: 60_000 },
  userKey: `tcc:rl:user:${userId}`,
  userRule: { limit: 1e8, periodMs: 60_000 },
  denyKey: "tcc:deny:sid:bench",
  writeKey: `tcc:w:${userId}`,
  versionKey: ReadCache.versionKey(userId),
};
const line = { requestId: crypto.randomUUID(), method: "GET", route: "/v1/entries/:id", status: 200, durationMs: 1.2, userId };
const redactingLogger = createLogger("info");
const requestLogger = createRequestLogger("info");
const { RedisClient } = await import("bun");
const bunRedis = new RedisClient(env.REDIS_URL as string);
await bunRedis.connect();

const rows: Record<string, string>[] = [];
const measure = async (part: string, run: () => unknown) => {
  rows.push({ part, "µs CPU/call": (await cpuPerCall(run, { n: N, inFlight: C, warmup: 500 })).core.toFixed(1) });
};
// Run with stdout to /dev/null: the log lines are written there; the table goes to stderr.
await measure("whole cached GET /v1/entries/:id (app.request, no socket)", async () =>
  (await app.request(`/v1/entries/${id}`, { headers: auth })).arrayBuffer(),
);
await measure("gate of a busy process: a lease, reads batched into one MGET per turn", () => s.gate.check(gateInput));
await measure("gate: one EVALSHA (limits, revocation, write mark, cache version)", () => (s.gate as LeasedGate).redisGate.check(gateInput));
await measure("read cache versions: the MGET a cached read no longer makes", () => s.kv.mget(["tcc:epoch", gateInput.versionKey]));
await measure("ioredis GET", () => redis.get("tcc:epoch"));
await measure("Bun's RedisClient GET (not used: ioredis stays)", () => bunRedis.get("tcc:epoch"));
await measure("access token verify (cached)", () => s.tokens.verify(accessToken));
await measure("log line, before: redacting logger, one write each", () => redactingLogger.info(line, "request"));
await measure("log line, now: request logger, batched writes", () => requestLogger.info(line, "request"));
await measure("metrics, before: labels objects", () => {
  s.metrics.requests.inc({ method: "GET", route: "/v1/entries/:id", status: "200" });
  s.metrics.requestDuration.observe({ method: "GET", route: "/v1/entries/:id" }, 0.0012);
});
await measure("metrics, now: cached label children", () => s.metrics.observeRequest("GET", "/v1/entries/:id", 200, 0.0012));
console.error(rows.map((r) => `| ${r.part} | ${r["µs CPU/call"]} |`).join("\n"));
bunRedis.close();
process.exit(0);
