import { describe, expect, test } from "bun:test";
import { MemoryResponseCache } from "../src/cache/response-cache";
import { parseEnv } from "../src/env";
import { createLogger } from "../src/lib/logger";
import { RequestLog } from "../src/lib/request-log";
import { secondsToUtcMidnight } from "../src/quota";
import { FairQueue, type Queued } from "../src/sched/fair-queue";

describe("fair queue", () => {
  const item = (user: string, priority: Queued["priority"] = "interactive", label = user) => ({ user, priority, label });

  test("users take turns, interactive before batch, each user's own requests in order", () => {
    const q = new FairQueue<ReturnType<typeof item>>(10);
    const a1 = item("a", "interactive", "a1");
    const a2 = item("a", "interactive", "a2");
    const b1 = item("b", "interactive", "b1");
    const batch = item("c", "batch", "c1");
    for (const i of [batch, a1, a2, b1]) expect(q.push(i)).toBe(true);
    expect(q.heads().map((i) => i.label)).toEqual(["a1", "b1", "c1"]);
    q.remove(a1);
    q.served(a1); // a goes to the back of the turn order
    expect(q.heads().map((i) => i.label)).toEqual(["b1", "a2", "c1"]);
    expect(q.depth()).toEqual({ interactive: 2, batch: 1 });
  });

  test("is bounded", () => {
    const q = new FairQueue<ReturnType<typeof item>>(2);
    expect(q.push(item("a"))).toBe(true);
    expect(q.push(item("b"))).toBe(true);
    expect(q.push(item("c"))).toBe(false);
    expect(q.size).toBe(2);
  });
});

describe("env", () => {
  test("LMSTUDIO_NODES is a JSON array of nodes; maxConcurrent defaults to 4, models are optional", () => {
    const env = parseEnv({ LMSTUDIO_NODES: '[{"url":"http://gpu1:1234","models":["qwen"]},{"url":"http://gpu2:1234","maxConcurrent":2}]' });
    expect(env.LMSTUDIO_NODES).toEqual([
      { url: "http://gpu1:1234", maxConcurrent: 4, models: ["qwen"] },
      { url: "http://gpu2:1234", maxConcurrent: 2 },
    ]);
    expect(parseEnv({}).LMSTUDIO_NODES).toEqual([]);
    expect(parseEnv({}).AI_CACHE_TTL_S).toBe(3600);
  });

  test("a malformed LMSTUDIO_NODES names itself", () => {
    expect(() => parseEnv({ LMSTUDIO_NODES: "gpu1:1234" })).toThrow(/JSON array/);
    expect(() => parseEnv({ LMSTUDIO_NODES: '[{"url":"not a url"}]' })).toThrow();
    expect(() => parseEnv({ LMSTUDIO_NODES: '[{"url":"http://gpu1:1234","maxConcurrent":0}]' })).toThrow();
  });
});

describe("quota clock", () => {
  test("Retry-After counts to the next UTC midnight", () => {
    expect(secondsToUtcMidnight(Date.UTC(2026, 2, 14, 23, 59, 0))).toBe(60);
    expect(secondsToUtcMidnight(Date.UTC(2026, 2, 14, 0, 0, 0))).toBe(86_400);
  });
});

describe("request log", () => {
  test("writes pino-format JSON lines in batches, and nothing below info", () => {
    const out: string[] = [];
    const log = new RequestLog(createLogger("info"), (t) => out.push(t));
    log.line({ requestId: "r1", method: "POST", path: "/v1/embeddings", status: 200, durationMs: 1.5, user: "u" });
    expect(out).toEqual([]);
    log.flush();
    const line = JSON.parse(out[0]!.trim());
    expect(line).toMatchObject({ level: 30, service: "tcc-ai-gateway", requestId: "r1", status: 200, user: "u", msg: "request" });
    const quiet: string[] = [];
    const off = new RequestLog(createLogger("warn"), (t) => quiet.push(t));
    off.line({ requestId: "r2", method: "GET", path: "/v1/models", status: 200, durationMs: 0.1 });
    off.flush();
    expect(quiet).toEqual([]);
  });
});

describe("in-memory response cache (no Redis)", () => {
  const bytes = (n: number, fill = 1) => new Uint8Array(n).fill(fill);

  test("returns what was stored until its TTL passes", async () => {
    const cache = new MemoryResponseCache(10_000);
    cache.set("a", bytes(10, 7), 1);
    expect(await cache.get("a")).toEqual(bytes(10, 7));
    expect(await cache.getMany(["a", "missing"])).toEqual([bytes(10, 7), null]);
    await Bun.sleep(1_050);
    expect(await cache.get("a")).toBeNull();
  });

  test("is bounded by bytes: the least recently used goes first, and one huge answer is not kept", async () => {
    // 1,000 bytes in all, at most a quarter per entry (value plus key).
    const cache = new MemoryResponseCache(1_000);
    for (const key of ["a", "b", "c", "d"]) cache.set(key, bytes(240), 60);
    await cache.get("a"); // now "b" is the least recently used
    cache.set("e", bytes(240), 60);
    expect(await cache.getMany(["a", "b", "c", "d", "e"])).toEqual([bytes(240), null, bytes(240), bytes(240), bytes(240)]);
    cache.set("huge", bytes(300), 60);
    expect(await cache.get("huge")).toBeNull();
    expect(await cache.get("e")).toEqual(bytes(240));
  });
});
