import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Client, createEmbedded } from "../../test/harness";
import { closeServices } from "../bootstrap";
import type { Services } from "../context";

// The embedded default: the cache is a MemoryKV that evicts its oldest keys at 50,000, and
// anyone can add keys to it. Security state must not be among what it evicts.
let services: Services;
let client: Client;
beforeAll(async () => {
  ({ services, client } = await createEmbedded(mkdtempSync(join(tmpdir(), "tcc-security-state-")), { RATE_LIMIT_AUTH_PER_MIN: "100000" }));
}, 120_000);
afterAll(() => closeServices(services));

async function signUp(email: string) {
  const reg = await client.post("/v1/auth/register", { email, password: "embedded password" });
  expect(reg.status).toBe(201);
  return reg.body as { accessToken: string };
}

describe("security state on the embedded default", () => {
  test("flooding the cache does not bring a logged-out token back, nor unlock a locked account", async () => {
    const { accessToken } = await signUp("flood@example.test");
    const me = client.withToken(accessToken);
    expect((await me.post("/v1/auth/logout")).status).toBe(204);
    expect((await me.get("/v1/auth/me")).status).toBe(401);
    for (let i = 0; i < 5; i++)
      expect((await client.post("/v1/auth/login", { email: "flood@example.test", password: "wrong one!" })).status).toBe(401);
    expect((await client.post("/v1/auth/login", { email: "flood@example.test", password: "embedded password" })).status).toBe(429);

    // Unknown API keys are cached (as "none") in the cache store: anyone can add such keys.
    const before = services.kv as unknown as { size: number };
    const sizeBefore = before.size;
    for (let i = 0; i < 50; i++) expect((await client.withToken(`tcc_flood${i}`).get("/v1/entries")).status).toBe(401);
    expect(before.size).toBeGreaterThanOrEqual(sizeBefore + 50);
    // The rest of a 60,000-key flood, written straight into the same store (as many requests would).
    for (let i = 0; i < 60_000; i++) await services.kv.set(`tcc:ak:flood-${i}`, "none", 60);

    expect((await me.get("/v1/auth/me")).status).toBe(401);
    expect((await client.post("/v1/auth/login", { email: "flood@example.test", password: "embedded password" })).status).toBe(429);
  }, 60_000);

  test("parallel wrong passwords: at most LOGIN_MAX_FAILURES get through, in memory too", async () => {
    await signUp("parallel@example.test");
    const guesses = await Promise.all(
      Array.from({ length: 15 }, (_, i) =>
        client.post("/v1/auth/login", { email: "parallel@example.test", password: `wrong ${i} password` }),
      ),
    );
    const statuses = guesses.map((r) => r.status);
    expect(statuses.filter((s) => s === 401).length).toBe(services.env.LOGIN_MAX_FAILURES);
    expect(statuses.filter((s) => s === 429).length).toBe(15 - services.env.LOGIN_MAX_FAILURES);
  }, 60_000);
});
