import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import Redis from "ioredis";
import { startFakeNode } from "../fake-node/server";
import { createLogger } from "../src/lib/logger";
import { RedisSlots } from "../src/sched/redis-slots";
import { chatBody, json, redisUrl, startGateway, startGatewayProcess, unique, waitFor } from "./harness";

const node = await startFakeNode({ models: ["chat-a"] });
const gw = await startGateway({ nodes: [{ url: node.url, maxConcurrent: 1 }], env: { AI_QUEUE_MAX: "20" } });
afterAll(async () => {
  await gw.close();
  await node.stop();
});
beforeEach(() => node.reset());

/** Sends a chat and records when it finished, by label. */
function track(order: string[], label: string, headers: Record<string, string>) {
  return gw.post("/v1/chat/completions", chatBody("chat-a", label), headers).then(async (res) => {
    order.push(label);
    return res;
  });
}

describe("queue", () => {
  test("a heavy user cannot starve another: users take turns for the slot", async () => {
    node.configure({ latencyMs: 60 }); // long enough that the queue is still full when the light user arrives
    const order: string[] = [];
    const heavy = Array.from({ length: 8 }, (_, i) => track(order, `heavy-${i}`, { "x-tcc-user": "heavy" }));
    await waitFor(() => gw.services.scheduler.waiting === 7);
    const light = track(order, "light", { "x-tcc-user": "light" });
    const all = await Promise.all([...heavy, light]);
    expect(all.map((r) => r.status)).toEqual(Array(9).fill(200));
    // First come first served would put it last (9th); with turns it goes right after one more heavy request.
    expect(order.indexOf("light")).toBeLessThanOrEqual(2);
  });

  test("interactive requests go ahead of batch ones", async () => {
    node.configure({ latencyMs: 150 }); // the running request outlasts the set-up below
    const order: string[] = [];
    const first = track(order, "running", { "x-tcc-priority": "interactive" });
    await waitFor(() => node.stats().active === 1);
    const batch = [0, 1, 2].map((i) => track(order, `batch-${i}`, { "x-tcc-priority": "batch", "x-tcc-user": `b${i}` }));
    await waitFor(() => gw.services.scheduler.waiting === 3);
    const interactive = track(order, "interactive", { "x-tcc-priority": "interactive", "x-tcc-user": "i" });
    await Promise.all([first, ...batch, interactive]);
    expect(order.slice(0, 2)).toEqual(["running", "interactive"]);
  });

  test("the queue is bounded: when full, 429 with Retry-After, and the node never sees the extra", async () => {
    // Its own node: a slot another gateway still holds for a moment would change the count.
    const own = await startFakeNode({ models: ["chat-a"], latencyMs: 150 });
    const small = await startGateway({ nodes: [{ url: own.url, maxConcurrent: 1 }], env: { AI_QUEUE_MAX: "2" } });
    try {
      const accepted = [0, 1, 2].map((i) => small.post("/v1/chat/completions", chatBody("chat-a", `q${i}`)));
      await waitFor(() => small.services.scheduler.waiting === 2);
      const refused = await small.post("/v1/chat/completions", chatBody("chat-a", "one too many"));
      expect(refused.status).toBe(429);
      expect(refused.headers.get("retry-after")).toBe("2");
      expect((await json(refused)).error).toMatchObject({ code: "queue_full", type: "rate_limit_error" });
      expect((await Promise.all(accepted)).map((r) => r.status)).toEqual([200, 200, 200]);
      expect(own.stats().total).toBe(3);
    } finally {
      await small.close();
      await own.stop();
    }
  });

  test("a request whose deadline passes while queued gets 504 and never reaches the node", async () => {
    node.configure({ latencyMs: 200 });
    const running = gw.post("/v1/chat/completions", chatBody("chat-a", "slow"));
    await waitFor(() => node.stats().active === 1);
    const started = Date.now();
    const late = await gw.post("/v1/chat/completions", chatBody("chat-a", "impatient"), { "x-tcc-deadline-ms": "50" });
    expect(late.status).toBe(504);
    expect(Date.now() - started).toBeLessThan(180);
    expect((await json(late)).error.code).toBe("deadline_exceeded");
    expect((await running).status).toBe(200);
    expect(node.stats().total).toBe(1);
    expect(gw.services.scheduler.waiting).toBe(0);
  });
});

describe("node slots", () => {
  test("one gateway never runs more than maxConcurrent at a node", async () => {
    const own = await startFakeNode({ models: ["chat-a"], latencyMs: 10 });
    const three = await startGateway({ nodes: [{ url: own.url, maxConcurrent: 3 }], env: { AI_QUEUE_MAX: "100" } });
    try {
      const res = await Promise.all(Array.from({ length: 30 }, (_, i) => three.post("/v1/chat/completions", chatBody("chat-a", `n${i}`))));
      expect(res.map((r) => r.status)).toEqual(Array(30).fill(200));
      expect(own.stats().maxActive).toBeLessThanOrEqual(3);
      expect(own.stats().maxActive).toBe(3); // and the slots were all used
    } finally {
      await three.close();
      await own.stop();
    }
  });

  test("two gateway processes sharing Redis never run more than maxConcurrent at one node together", async () => {
    const shared = await startFakeNode({ models: ["chat-a"], latencyMs: 15 });
    const env = { REDIS_URL: redisUrl(), LMSTUDIO_NODES: JSON.stringify([{ url: shared.url, maxConcurrent: 2 }]), AI_QUEUE_MAX: "100" };
    const [a, b] = await Promise.all([startGatewayProcess(env), startGatewayProcess(env)]);
    try {
      const fire = (url: string, i: number) =>
        fetch(`${url}/v1/chat/completions`, {
          method: "POST",
          body: JSON.stringify(chatBody("chat-a", `p${i}`)),
          headers: { "x-tcc-user": `u${i % 3}` },
        });
      const res = await Promise.all(Array.from({ length: 40 }, (_, i) => fire(i % 2 ? a.url : b.url, i)));
      expect(res.map((r) => r.status)).toEqual(Array(40).fill(200));
      expect(shared.stats().total).toBe(40);
      expect(shared.stats().maxActive).toBeLessThanOrEqual(2);
      expect(shared.stats().maxActive).toBe(2);
    } finally {
      expect(await a.stop()).toBe(0);
      expect(await b.stop()).toBe(0);
      await shared.stop();
    }
  }, 20_000);

  test("a crashed gateway's slots expire with their lease", async () => {
    const redis = new Redis(redisUrl());
    const sub = new Redis(redisUrl());
    const slots = new RedisSlots(redis, sub, 150, createLogger("silent"));
    const nodeId = unique("node");
    try {
      expect(await slots.tryAcquire(nodeId, 1, "crashed-holder")).toBe(true); // never released, never renewed
      expect(await slots.tryAcquire(nodeId, 1, "next")).toBe(false);
      await Bun.sleep(200);
      expect(await slots.tryAcquire(nodeId, 1, "next")).toBe(true);
    } finally {
      await slots.close();
      await redis.quit();
    }
  });

  test("a slot released by one replica wakes the others at once (pub/sub)", async () => {
    const gwA = await startGateway({ nodes: [] });
    const gwB = await startGateway({ nodes: [] });
    try {
      const nodeId = unique("node");
      const woken: string[] = [];
      gwB.services.slots.onRelease((n) => woken.push(n));
      expect(await gwA.services.slots.tryAcquire(nodeId, 1, "t1")).toBe(true);
      gwA.services.slots.release(nodeId, "t1");
      await waitFor(() => woken.includes(nodeId), 1_000);
    } finally {
      await gwA.close();
      await gwB.close();
    }
  });

  test("with Redis unreachable no slot is granted (fail closed: wait, never overrun a node)", async () => {
    const options = { enableOfflineQueue: false, maxRetriesPerRequest: 0, lazyConnect: true, retryStrategy: () => null };
    const down = new Redis("redis://127.0.0.1:1", options);
    const sub = new Redis("redis://127.0.0.1:1", options);
    const slots = new RedisSlots(down, sub, 1000, createLogger("silent"));
    try {
      expect(await slots.tryAcquire(unique("node"), 4, "t")).toBe(false);
    } finally {
      down.disconnect();
      sub.disconnect();
    }
  });

  test("a held slot's lease is renewed while its request runs", async () => {
    const redis = new Redis(redisUrl());
    const sub = new Redis(redisUrl());
    const slots = new RedisSlots(redis, sub, 150, createLogger("silent"));
    const nodeId = unique("node");
    try {
      expect(await slots.tryAcquire(nodeId, 1, "runner")).toBe(true);
      for (let i = 0; i < 4; i++) {
        await Bun.sleep(60);
        slots.renew(new Map([[nodeId, ["runner"]]]));
      }
      expect(await slots.tryAcquire(nodeId, 1, "other")).toBe(false);
      slots.release(nodeId, "runner");
      await waitFor(() => slots.tryAcquire(nodeId, 1, "other"));
    } finally {
      await slots.close();
      await redis.quit();
    }
  });
});
