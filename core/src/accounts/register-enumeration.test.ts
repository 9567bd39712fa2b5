import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHarness, type Harness, uniqueEmail } from "../../test/harness";

// Behind a proxy we run, so each test speaks from addresses of its own.
let h: Harness;
beforeAll(async () => {
  h = await createHarness({ TRUST_PROXY: "true", REGISTER_MAX_CONFLICTS: "3" });
});
afterAll(() => h.close());

let n = 0;
const freshIp = () => `10.77.${Math.floor(Date.now() / 1000) % 250}.${++n}`;
const register = (email: string, ip: string) =>
  h.anon.post("/v1/auth/register", { email, password: "a long enough password" }, { "x-forwarded-for": ip });

describe("register: probing for existing emails", () => {
  test("parallel sign-ups for taken emails from one address: at most REGISTER_MAX_CONFLICTS 409s, then 429", async () => {
    const taken = [];
    for (let i = 0; i < 10; i++) taken.push(await h.user()); // one at a time: sign-ups in flight hold a slot each
    const ip = freshIp();
    const results = await Promise.all(taken.map((u) => register(u.info.email, ip)));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 409).length).toBe(3);
    expect(statuses.filter((s) => s === 429).length).toBe(7);
    const refused = results.find((r) => r.status === 429);
    expect(refused?.body.error.code).toBe("RATE_LIMITED");
    expect(Number(refused?.headers.get("retry-after"))).toBeGreaterThan(0);
    // Another address is not affected.
    expect((await register(uniqueEmail("elsewhere"), freshIp())).status).toBe(201);
  }, 60_000);

  test("sign-ups that create accounts do not count", async () => {
    const ip = freshIp();
    for (let i = 0; i < 6; i++) expect((await register(uniqueEmail("fresh"), ip)).status).toBe(201);
  }, 60_000);
});
