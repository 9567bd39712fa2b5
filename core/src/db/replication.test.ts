import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { createHarness, type Harness } from "../../test/harness";

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ DB_READ_YOUR_WRITES_MS: "1500" });
});
afterAll(() => h.close());

/** Polls until `check` passes: the replica applies WAL a few tens of milliseconds behind. */
async function eventually(check: () => Promise<boolean>, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await Bun.sleep(50);
  }
  return false;
}

describe("primary and replica routing", () => {
  test("a user's own fresh write is visible at once, from the primary", async () => {
    const u = await h.user();
    const before = { ...h.services.db.routing };
    for (let i = 0; i < 5; i++) {
      const { body } = await u.post("/v1/entries", { title: `fresh ${i}` });
      const got = await u.get(`/v1/entries/${body.id}`);
      expect(got.status).toBe(200);
      expect((await u.get("/v1/entries")).body.items.length).toBe(i + 1);
    }
    expect(h.services.db.routing.primary).toBeGreaterThan(before.primary);
  });

  test("other reads are served by the replica once the write window has passed", async () => {
    const u = await h.user();
    const { body } = await u.post("/v1/entries", { title: "replicated" });
    await Bun.sleep(1_600);
    const before = h.services.db.routing.replica;
    const seen = await eventually(async () =>
      (await u.get("/v1/entries?limit=5")).body.items.some((e: { id: string }) => e.id === body.id),
    );
    expect(seen).toBe(true);
    expect(h.services.db.routing.replica).toBeGreaterThan(before);
  });

  test("the replica really is a separate, read-only server that holds the data", async () => {
    const u = await h.user();
    const { body } = await u.post("/v1/entries", { title: "on the replica" });
    const replica = h.services.db.read("someone-who-never-wrote");
    expect(replica).not.toBe(h.services.db.primary);
    const found = await eventually(async () => {
      const rows = (await replica.execute(`select title from entries where id = '${body.id}'` as never)) as unknown as { title: string }[];
      return rows[0]?.title === "on the replica";
    });
    expect(found).toBe(true);
    const rows = (await replica.execute("select pg_is_in_recovery() as in_recovery" as never)) as unknown as { in_recovery: boolean }[];
    expect(rows[0]?.in_recovery).toBe(true);
  });

  test("queries and transactions holding a connection are counted for the pool-saturation metric", async () => {
    const { db } = h.services;
    expect(db.inFlight().primary).toBe(0);
    const slow = db.primary.execute(sql`select pg_sleep(0.3)`).then(() => {}); // drizzle queries start when awaited
    const tx = db.primary.transaction(async (t) => {
      await t.execute(sql`select pg_sleep(0.3)`);
    });
    await Bun.sleep(100);
    expect(db.inFlight().primary).toBe(2);
    expect(String((await h.anon.get("/metrics")).body)).toContain('tcc_db_pool_in_flight{pool="primary"} 2');
    await Promise.all([slow, tx]);
    expect(db.inFlight().primary).toBe(0);
  });

  test("reads fall back to the primary when no replica is healthy", async () => {
    const solo = await createHarness({ DATABASE_REPLICA_URLS: "postgres://postgres@127.0.0.1:1/nowhere", DB_CONNECT_TIMEOUT_S: "1" });
    try {
      const u = await solo.user();
      const { body } = await u.post("/v1/entries", { title: "no replica" });
      await Bun.sleep(100);
      expect((await u.get(`/v1/entries/${body.id}`)).status).toBe(200);
      expect(solo.services.db.replicas()[0]?.healthy).toBe(false);
      expect(solo.services.db.read("x")).toBe(solo.services.db.primary);
      expect((await solo.anon.get("/readyz")).body.status).toBe("degraded");
    } finally {
      await solo.close();
    }
  });
});
