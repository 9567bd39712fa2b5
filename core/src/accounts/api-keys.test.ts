import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHarness, type Harness } from "../../test/harness";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

describe("API keys", () => {
  test("a key is shown once, works as Bearer within its scopes, and is listed without its secret", async () => {
    const u = await h.user();
    const created = await u.post("/v1/api-keys", { name: "script", scopes: ["entries:read"] });
    expect(created.status).toBe(201);
    expect(created.body.key).toStartWith("tcc_");
    const key = u.withToken(created.body.key);
    expect((await key.get("/v1/entries")).status).toBe(200);
    const write = await key.post("/v1/entries", { title: "nope" });
    expect(write.status).toBe(403);
    expect(write.body.error.code).toBe("FORBIDDEN");
    const list = await u.get("/v1/api-keys");
    expect(list.body.items).toHaveLength(1);
    expect(list.body.items[0]).toMatchObject({
      id: created.body.id,
      name: "script",
      scopes: ["entries:read"],
      prefix: created.body.key.slice(0, 12),
    });
    expect(JSON.stringify(list.body)).not.toContain(created.body.key);
  });

  test("a key with write scope creates entries the owner sees", async () => {
    const u = await h.user();
    const { body } = await u.post("/v1/api-keys", { name: "writer", scopes: ["entries:write", "entries:read"] });
    const made = await u.withToken(body.key).post("/v1/entries", { title: "via key" });
    expect(made.status).toBe(201);
    expect((await u.get(`/v1/entries/${made.body.id}`)).body.title).toBe("via key");
  });

  test("a revoked key stops working at once", async () => {
    const u = await h.user();
    const { body } = await u.post("/v1/api-keys", { name: "temp", scopes: ["entries:read"] });
    expect((await u.withToken(body.key).get("/v1/entries")).status).toBe(200);
    expect((await u.del(`/v1/api-keys/${body.id}`)).status).toBe(204);
    expect((await u.withToken(body.key).get("/v1/entries")).status).toBe(401);
  });

  test("an expired key is refused", async () => {
    const u = await h.user();
    const { body } = await u.post("/v1/api-keys", {
      name: "old",
      scopes: ["entries:read"],
      expiresAt: new Date(Date.now() - 1000).toISOString(),
    });
    expect((await u.withToken(body.key).get("/v1/entries")).status).toBe(401);
  });

  test("keys cannot manage keys, and unknown scopes are a validation error", async () => {
    const u = await h.user();
    const { body } = await u.post("/v1/api-keys", { name: "k", scopes: ["entries:read"] });
    expect((await u.withToken(body.key).post("/v1/api-keys", { name: "k2", scopes: ["entries:read"] })).status).toBe(403);
    const bad = await u.post("/v1/api-keys", { name: "k", scopes: ["admin:everything"] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("VALIDATION_FAILED");
  });

  test("another user's key is 404 to revoke and absent from their list", async () => {
    const a = await h.user();
    const b = await h.user();
    const { body } = await a.post("/v1/api-keys", { name: "a-key", scopes: ["entries:read"] });
    expect((await b.del(`/v1/api-keys/${body.id}`)).status).toBe(404);
    expect((await b.get("/v1/api-keys")).body.items).toEqual([]);
    expect((await a.withToken(body.key).get("/v1/entries")).status).toBe(200);
  });
});
