import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { createHarness, type Harness, waitUntil } from "../../test/harness";
import { png } from "../../test/png";

const scripts = join(import.meta.dir, "../../../scripts/services");
const run = async (script: string) => {
  const proc = Bun.spawn(["bash", join(scripts, script)], { stdout: "ignore", stderr: "inherit" });
  expect(await proc.exited).toBe(0);
};

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await run("redis-start.sh"); // never leave the suite without Redis, even if a test failed
  await h.close();
});

describe("Redis outage", () => {
  test("with Redis stopped mid-test the API keeps serving from the database and readyz says degraded", async () => {
    const u = await h.user();
    let imageId = "";
    const { body } = await u.post("/v1/entries", { title: "before the outage", tags: ["x"] });
    expect((await u.get(`/v1/entries/${body.id}`)).status).toBe(200); // warm the cache
    expect((await u.get("/v1/entries")).body.items).toHaveLength(1);
    // Persist the cached reads, as a production Redis with persistence would keep them across a restart.
    expect(await Bun.spawn(["redis-cli", "-p", new URL(process.env.REDIS_URL as string).port, "SAVE"]).exited).toBe(0);
    await run("redis-stop.sh");
    try {
      const got = await u.get(`/v1/entries/${body.id}`);
      expect(got.status).toBe(200);
      expect(got.body.title).toBe("before the outage");
      expect((await u.patch(`/v1/entries/${body.id}`, { title: "renamed during the outage" })).status).toBe(200);
      const made = await u.post("/v1/entries", { title: "during the outage" });
      expect(made.status).toBe(201);
      expect((await u.get("/v1/entries")).body.items.map((e: { title: string }) => e.title)).toContain("during the outage");
      expect((await u.get("/v1/tags")).status).toBe(200);
      const ready = await h.anon.get("/readyz");
      expect(ready.status).toBe(200);
      expect(ready.body.status).toBe("degraded");
      expect(ready.body.checks.cache.status).toBe("down");
      expect(String((await h.anon.get("/metrics")).body)).toContain('tcc_cache_backend_up{kind="redis"} 0');
      // Sign-in still works without Redis.
      expect((await h.anon.post("/v1/auth/login", { email: u.info.email, password: u.info.password })).status).toBe(200);
      // An image upload answers although its derivative job cannot reach the queue yet.
      const started = Date.now();
      const up = await u.fetch("PUT", "/v1/files?name=outage.png", png(40, 30, [10, 20, 30]), { "content-type": "image/png" });
      expect(up.status).toBe(201);
      expect(Date.now() - started).toBeLessThan(3_000);
      imageId = (await up.json()).id;
    } finally {
      await run("redis-start.sh");
    }
    // And once Redis is back, readiness recovers.
    let status = "";
    for (let i = 0; i < 50 && status !== "ok"; i++) {
      await Bun.sleep(100);
      status = (await h.anon.get("/readyz")).body.status;
    }
    expect(status).toBe("ok");
    expect(String((await h.anon.get("/metrics")).body)).toContain('tcc_cache_backend_up{kind="redis"} 1');
    // Reads cached in Redis before the outage must not resurface: writes made meanwhile win.
    expect((await u.get(`/v1/entries/${body.id}`)).body.title).toBe("renamed during the outage");
    expect((await u.get("/v1/entries")).body.items).toHaveLength(2);
    // The job held while Redis was away is delivered once it is back.
    await h.services.jobs.drain("images", 10_000);
    expect(Object.keys((await u.get(`/v1/files/${imageId}`)).body.metadata.derivatives ?? {}).sort()).toEqual(["1280", "320"]);
  });

  test("a Redis stall does not let reads cached before it hide writes made during it", async () => {
    const u = await h.user();
    const { body } = await u.post("/v1/entries", { title: "before the stall" });
    expect((await u.get("/v1/entries")).body.items[0].title).toBe("before the stall"); // cached in Redis
    // Redis keeps its data but stops answering: commands time out and the API uses its own memory.
    const pause = Bun.spawn(["redis-cli", "-p", new URL(process.env.REDIS_URL as string).port, "CLIENT", "PAUSE", "1500", "ALL"]);
    expect(await pause.exited).toBe(0);
    expect((await u.patch(`/v1/entries/${body.id}`, { title: "written during the stall" })).status).toBe(200);
    await Bun.sleep(1_600);
    expect((await u.get("/v1/entries")).body.items[0].title).toBe("written during the stall");
    expect((await u.get(`/v1/entries/${body.id}`)).body.title).toBe("written during the stall");
  });

  test("revocation fails closed: logged-out tokens stay refused while Redis is down, and after it returns empty", async () => {
    // Another core process sharing the database, Redis and the signing key (kept under DATA_DIR).
    const sameKeys = { DATA_DIR: h.services.env.DATA_DIR };
    const other = await createHarness(sameKeys);
    try {
      const u = await h.user();
      const login = async () => (await h.anon.post("/v1/auth/login", { email: u.info.email, password: u.info.password })).body;
      const before = await login();
      const during = await login();
      const kept = await login();
      expect((await other.anon.withToken(kept.accessToken).get("/v1/auth/me")).status).toBe(200);
      expect((await h.anon.withToken(before.accessToken).post("/v1/auth/logout")).status).toBe(204);
      await run("redis-stop.sh"); // no SAVE: Redis comes back empty, as one without persistence would
      try {
        expect((await h.anon.withToken(before.accessToken).get("/v1/auth/me")).status).toBe(401);
        expect((await other.anon.withToken(before.accessToken).get("/v1/auth/me")).status).toBe(401);
        expect((await h.anon.withToken(during.accessToken).post("/v1/auth/logout")).status).toBe(204);
        expect((await other.anon.withToken(during.accessToken).get("/v1/auth/me")).status).toBe(401);
        expect((await h.anon.withToken(kept.accessToken).get("/v1/auth/me")).status).toBe(200);
      } finally {
        await run("redis-start.sh");
      }
      // Back, with the denylist gone from Redis: it is written again from the database.
      const third = await createHarness(sameKeys);
      try {
        for (const token of [before.accessToken, during.accessToken]) {
          expect((await third.anon.withToken(token).get("/v1/auth/me")).status).toBe(401);
          await waitUntil(() => other.services.security.healthy && h.services.security.healthy);
          expect((await other.anon.withToken(token).get("/v1/auth/me")).status).toBe(401);
        }
        expect((await third.anon.withToken(kept.accessToken).get("/v1/auth/me")).status).toBe(200);
      } finally {
        await third.close();
      }
    } finally {
      await other.close();
    }
  }, 60_000);
});
