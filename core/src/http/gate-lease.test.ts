import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Client, createHarness, type Harness } from "../../test/harness";
import type { LeasedGate } from "../lib/gate-lease";

// Two core processes' worth of services over the same PostgreSQL and Redis, as two pods, with
// leases of 300 ms and a user limit of 100 a minute (a lease then holds 5 requests at most).
const LEASE_MS = 300;
const USER_LIMIT = 100;
let a: Harness;
let b: Harness;

beforeAll(async () => {
  const env = {
    DATA_DIR: mkdtempSync(join(tmpdir(), "tcc-leases-")),
    GATE_LEASE_MS: String(LEASE_MS),
    RATE_LIMIT_USER_PER_MIN: String(USER_LIMIT),
  };
  a = await createHarness(env);
  b = await createHarness(env);
});
afterAll(async () => {
  await Promise.all([a.close(), b.close()]);
});

/** Counts the requests a process's gate sends to Redis as a script (the rest spend a lease). */
function countScripts(h: Harness): { count: number; restore(): void } {
  const gate = (h.services.gate as LeasedGate).redisGate;
  const check = gate.check.bind(gate);
  const counter = {
    count: 0,
    restore: () => {
      gate.check = check;
    },
  };
  gate.check = (...args) => {
    counter.count++;
    return check(...args);
  };
  return counter;
}

/** A user signed in on A whose requests B answers from a lease (three reads warm it). */
async function warmOnB(): Promise<{ onA: Client; onB: Client }> {
  const onA = await a.user();
  const onB = b.anon.withToken(onA.token);
  for (let i = 0; i < 3; i++) expect((await onB.get("/v1/entries")).status).toBe(200);
  return { onA, onB };
}

describe("request gate leases across core processes", () => {
  test("a logout on one process refuses the token at once on another that spends a lease", async () => {
    const { onA, onB } = await warmOnB();
    const scripts = countScripts(b);
    try {
      expect((await onB.get("/v1/entries")).status).toBe(200);
      expect(scripts.count).toBe(0); // answered from the lease
      expect((await onA.post("/v1/auth/logout")).status).toBe(204);
      const refused = await onB.get("/v1/entries");
      expect(refused.status).toBe(401);
      expect(refused.body.error.message).toContain("logged out");
      expect(scripts.count).toBe(0); // still the lease: the denylist is read for each request
    } finally {
      scripts.restore();
    }
  });

  test("the user limit holds with requests in flight at once on both processes", async () => {
    const onA = await a.user();
    const onB = b.anon.withToken(onA.token);
    const all = await Promise.all(Array.from({ length: 160 }, (_, i) => (i % 2 ? onA : onB).get("/v1/entries")));
    const ok = all.filter((r) => r.status === 200).length;
    const limited = all.filter((r) => r.status === 429);
    expect(ok + limited.length).toBe(160);
    // Never above the limit; below it by at most what two processes' leases hold back (2 × 5).
    expect(ok).toBeLessThanOrEqual(USER_LIMIT);
    expect(ok).toBeGreaterThanOrEqual(USER_LIMIT - 10);
    expect(limited[0]?.headers.get("retry-after")).toMatch(/^\d+$/);
  });

  test("what a lease did not use is given back to the user's budget by the next one", async () => {
    const u = await a.user();
    // Leases of 2 then 4: after three requests the second lease still holds 3.
    for (let i = 0; i < 3; i++) expect((await u.get("/v1/entries")).status).toBe(200);
    await Bun.sleep(LEASE_MS + 50);
    const fourth = await u.get("/v1/entries");
    expect(fourth.status).toBe(200);
    // Four requests charged: 96 left (97 once a 600 ms interval has refilled); without the give-back 93.
    expect(Number(fourth.headers.get("ratelimit-remaining"))).toBeGreaterThanOrEqual(USER_LIMIT - 4);
  });

  test("a lease left behind by a user who stopped is given back once it expires", async () => {
    const onA = await a.user();
    const onB = b.anon.withToken(onA.token);
    // B takes leases of 2 then 4 and keeps 3 of them unused; then the user goes on at A only.
    for (let i = 0; i < 3; i++) expect((await onB.get("/v1/entries")).status).toBe(200);
    await Bun.sleep(2 * LEASE_MS + 100); // B's sweep has run since its lease expired
    const next = await onA.get("/v1/entries");
    // Four requests charged: 96 left (97 after a refill); with B's 3 still held back, 93.
    expect(Number(next.headers.get("ratelimit-remaining"))).toBeGreaterThanOrEqual(USER_LIMIT - 4);
  });

  test("a lease's requests count in RateLimit-Remaining as the user's", async () => {
    const u = await a.user();
    const remaining: number[] = [];
    for (let i = 0; i < 6; i++) remaining.push(Number((await u.get("/v1/entries")).headers.get("ratelimit-remaining")));
    // One fewer per request, whether Redis or a lease answered it (a refill may add one).
    for (let i = 1; i < remaining.length; i++) expect((remaining[i - 1] as number) - (remaining[i] as number)).toBeLessThanOrEqual(1);
    expect(remaining[0]).toBe(USER_LIMIT - 1);
    expect(remaining[5]).toBeGreaterThanOrEqual(USER_LIMIT - 6);
    expect(remaining[5]).toBeLessThanOrEqual(USER_LIMIT - 5);
  });
});
