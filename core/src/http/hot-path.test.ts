import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Redis from "ioredis";
import { createHarness, type Harness, type Res } from "../../test/harness";
import type { RedisKV } from "../lib/redis-kv";

// Two core processes' worth of services over the same PostgreSQL and Redis, as two pods.
let a: Harness;
let b: Harness;
beforeAll(async () => {
  // One DATA_DIR: the same signing key, as pods share JWT_PRIVATE_KEY.
  const shared = { DATA_DIR: mkdtempSync(join(tmpdir(), "tcc-pods-")) };
  a = await createHarness(shared);
  b = await createHarness(shared);
});
afterAll(async () => {
  await Promise.all([a.close(), b.close()]);
});

/** Commands a given connection sends to Redis while `during` runs, seen by MONITOR (scripts count once). */
async function redisCommands(h: Harness, during: () => Promise<unknown>): Promise<string[]> {
  const port = (h.services.kv as RedisKV).redis.stream.localPort;
  const monitor = await new Redis(process.env.REDIS_URL as string).monitor();
  const seen: string[] = [];
  monitor.on("monitor", (_time: string, args: string[], source: string) => {
    if (source.endsWith(`:${port}`)) seen.push(String(args[0]).toLowerCase());
  });
  try {
    await during();
    await Bun.sleep(50); // MONITOR's feed trails the replies a little
  } finally {
    monitor.disconnect();
  }
  return seen;
}

const statements = (h: Harness) => h.services.db.routing.primary + h.services.db.routing.replica;

describe("the hot path of an authenticated read", () => {
  test("a warm cached read makes one Redis call (a plain MGET, its rate limits from a lease) and no SQL", async () => {
    const u = await a.user();
    const { body } = await u.post("/v1/entries", { title: "hot", tags: ["t"] });
    // Warms this process's copy and its lease (leases grow 2, 4, ... while they run out early).
    for (let i = 0; i < 3; i++) expect((await u.get(`/v1/entries/${body.id}`)).status).toBe(200);
    const before = statements(a);
    let got: Res | undefined;
    const commands = await redisCommands(a, async () => {
      got = await u.get(`/v1/entries/${body.id}`);
    });
    expect(got?.status).toBe(200);
    expect(got?.body.title).toBe("hot");
    expect(commands).toEqual(["mget"]);
    expect(statements(a)).toBe(before);
  });

  test("reads in flight at once share their Redis calls", async () => {
    const u = await a.user();
    const { body } = await u.post("/v1/entries", { title: "shared" });
    for (let i = 0; i < 3; i++) expect((await u.get(`/v1/entries/${body.id}`)).status).toBe(200);
    const statuses: number[] = [];
    const commands = await redisCommands(a, async () => {
      const all = await Promise.all(Array.from({ length: 32 }, () => u.get(`/v1/entries/${body.id}`)));
      statuses.push(...all.map((r) => r.status));
    });
    expect(statuses).toEqual(Array(32).fill(200));
    // One MGET per turn of the event loop and a lease now and then, not one script per request.
    expect(commands.length).toBeGreaterThan(0);
    expect(commands.length).toBeLessThanOrEqual(8);
  });

  test("the first read after a pause asks Redis once, for the gate", async () => {
    const u = await a.user();
    const { body } = await u.post("/v1/entries", { title: "cold" });
    expect((await u.get(`/v1/entries/${body.id}`)).status).toBe(200);
    await Bun.sleep(1_100); // the lease has expired (GATE_LEASE_MS)
    expect(await redisCommands(a, () => u.get(`/v1/entries/${body.id}`))).toEqual(["evalsha"]);
  });

  test("a write on one process is read back at once on another that had it cached", async () => {
    const onA = await a.user();
    const onB = b.anon.withToken(onA.token);
    const { body } = await onA.post("/v1/entries", { title: "first", tags: ["t"] });
    expect((await onB.get(`/v1/entries/${body.id}`)).body.title).toBe("first");
    expect((await onB.get("/v1/entries")).body.items.map((e: { title: string }) => e.title)).toEqual(["first"]);
    expect((await onA.patch(`/v1/entries/${body.id}`, { title: "second" })).status).toBe(200);
    expect((await onB.get(`/v1/entries/${body.id}`)).body.title).toBe("second");
    expect((await onB.get("/v1/entries")).body.items.map((e: { title: string }) => e.title)).toEqual(["second"]);
    // B spends a lease now, and every write on A is still read back on B at once.
    for (let i = 0; i < 20; i++) {
      expect((await onA.patch(`/v1/entries/${body.id}`, { title: `round ${i}` })).status).toBe(200);
      expect((await onB.get(`/v1/entries/${body.id}`)).body.title).toBe(`round ${i}`);
    }
    // And back the other way, with requests in flight at once on both.
    const writes = Array.from({ length: 5 }, (_, i) => onB.post("/v1/entries", { title: `parallel ${i}` }));
    expect((await Promise.all(writes)).map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
    expect((await onA.get("/v1/entries")).body.items).toHaveLength(6);
  });
});
