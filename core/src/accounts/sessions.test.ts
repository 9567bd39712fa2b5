import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Client, createHarness, type Harness } from "../../test/harness";

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ TRUST_PROXY: "true" });
});
afterAll(() => h.close());

/** A second login of the same user, from another device. */
async function loginFrom(u: Client, userAgent: string, ip: string) {
  const res = await h.anon.post(
    "/v1/auth/login",
    { email: u.info.email, password: u.info.password },
    { "user-agent": userAgent, "x-forwarded-for": ip },
  );
  expect(res.status).toBe(200);
  return { client: u.withToken(res.body.accessToken), refreshToken: res.body.refreshToken as string };
}

const sid = (token: string) => JSON.parse(Buffer.from(token.split(".")[1] as string, "base64url").toString()).sid as string;

describe("sessions", () => {
  test("lists each login with its device, address and times, and marks the current one", async () => {
    const u = await h.user();
    const phone = await loginFrom(u, "Phone/1.0", "203.0.113.7");
    const res = await phone.client.get("/v1/me/sessions");
    expect(res.status).toBe(200);
    expect(res.body.items).toHaveLength(2);
    const mine = res.body.items.find((s: { current: boolean }) => s.current);
    expect(mine).toMatchObject({ id: sid(phone.client.token as string), userAgent: "Phone/1.0", ip: "203.0.113.7" });
    expect(Date.parse(mine.createdAt)).toBeLessThanOrEqual(Date.parse(mine.lastUsedAt));
    // A refresh moves lastUsedAt and records the new address; the session keeps its id.
    await Bun.sleep(5);
    const r = await h.anon.post(
      "/v1/auth/refresh",
      { refreshToken: phone.refreshToken },
      { "user-agent": "Phone/1.1", "x-forwarded-for": "203.0.113.8" },
    );
    expect(r.status).toBe(200);
    const after = (await phone.client.get("/v1/me/sessions")).body.items.find((s: { id: string }) => s.id === mine.id);
    expect(after).toMatchObject({ userAgent: "Phone/1.1", ip: "203.0.113.8", createdAt: mine.createdAt });
    expect(Date.parse(after.lastUsedAt)).toBeGreaterThan(Date.parse(mine.lastUsedAt));
  });

  test("revoking one session stops its access and refresh tokens at once; the others keep working", async () => {
    const u = await h.user();
    const laptop = await loginFrom(u, "Laptop", "198.51.100.1");
    expect((await laptop.client.get("/v1/entries")).status).toBe(200);
    const del = await u.del(`/v1/me/sessions/${sid(laptop.client.token as string)}`);
    expect(del.status).toBe(204);
    expect((await laptop.client.get("/v1/entries")).status).toBe(401);
    expect((await h.anon.post("/v1/auth/refresh", { refreshToken: laptop.refreshToken })).status).toBe(401);
    expect((await u.get("/v1/entries")).status).toBe(200);
    const ids = (await u.get("/v1/me/sessions")).body.items.map((s: { id: string }) => s.id);
    expect(ids).toEqual([sid(u.token as string)]);
    // Revoking it again is 404: it is no longer an active session.
    expect((await u.del(`/v1/me/sessions/${sid(laptop.client.token as string)}`)).status).toBe(404);
  });

  test("revoke all ends every login, or every other one with keepCurrent=true", async () => {
    const u = await h.user();
    const a = await loginFrom(u, "A", "192.0.2.1");
    const b = await loginFrom(u, "B", "192.0.2.2");
    const keep = await u.del("/v1/me/sessions?keepCurrent=true");
    expect(keep.status).toBe(200);
    expect(keep.body.revoked).toBe(2);
    for (const other of [a, b]) expect((await other.client.get("/v1/entries")).status).toBe(401);
    expect((await u.get("/v1/entries")).status).toBe(200);
    const all = await u.del("/v1/me/sessions");
    expect(all.body.revoked).toBe(1);
    expect((await u.get("/v1/entries")).status).toBe(401);
    expect((await h.anon.post("/v1/auth/refresh", { refreshToken: u.info.refreshToken })).status).toBe(401);
  });

  test("bad ids and flags are validation errors", async () => {
    const u = await h.user();
    expect((await u.del("/v1/me/sessions/not-a-uuid")).status).toBe(400);
    const bad = await u.del("/v1/me/sessions?keepCurrent=maybe");
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("VALIDATION_FAILED");
  });

  test("another user's session is 404 to revoke and absent from their list", async () => {
    const a = await h.user();
    const b = await h.user();
    const aSid = sid(a.token as string);
    expect((await b.del(`/v1/me/sessions/${aSid}`)).status).toBe(404);
    expect((await b.get("/v1/me/sessions")).body.items.map((s: { id: string }) => s.id)).not.toContain(aSid);
    await b.del("/v1/me/sessions");
    expect((await a.get("/v1/entries")).status).toBe(200);
  });

  test("an API key cannot list or revoke sessions", async () => {
    const u = await h.user();
    const key = await u.post("/v1/api-keys", { name: "script", scopes: ["entries:read"] });
    const k = u.withToken(key.body.key);
    expect((await k.get("/v1/me/sessions")).status).toBe(403);
    expect((await k.del("/v1/me/sessions")).status).toBe(403);
    expect((await u.get("/v1/entries")).status).toBe(200);
  });
});
