import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHarness, expectValidationError, type Harness } from "../../test/harness";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

describe("consents", () => {
  test("grants and withdrawals are recorded with their time; current shows the latest of each, history all", async () => {
    const u = await h.user();
    expect((await u.get("/v1/me/consents")).body).toEqual({ current: [], history: [] });
    const first = await u.post("/v1/me/consents", { type: "product_email", granted: true });
    expect(first.status).toBe(201);
    expect(first.body).toEqual({ id: expect.any(String), type: "product_email", granted: true, at: expect.any(String) });
    await u.post("/v1/me/consents", { type: "ai_processing", granted: true });
    const withdrawn = await u.post("/v1/me/consents", { type: "product_email", granted: false });
    const state = (await u.get("/v1/me/consents")).body;
    expect(state.current).toEqual([
      expect.objectContaining({ type: "ai_processing", granted: true }),
      expect.objectContaining({ id: withdrawn.body.id, type: "product_email", granted: false }),
    ]);
    expect(state.history.map((r: { type: string; granted: boolean }) => [r.type, r.granted])).toEqual([
      ["product_email", false],
      ["ai_processing", true],
      ["product_email", true],
    ]);
    const only = (await u.get("/v1/me/consents?type=product_email")).body;
    expect(only.history).toHaveLength(2);
    const actions = (await u.get("/v1/me/audit")).body.items.map((e: { action: string }) => e.action);
    expect(actions).toEqual(expect.arrayContaining(["consent.granted", "consent.withdrawn"]));
  });

  test("bad input is a 400 and records nothing; API keys are refused", async () => {
    const u = await h.user();
    expectValidationError(await u.post("/v1/me/consents", { type: "selling_my_soul", granted: true }));
    expectValidationError(await u.post("/v1/me/consents", { type: "analytics", granted: "yes" }));
    expectValidationError(await u.post("/v1/me/consents", { type: "analytics" }));
    expectValidationError(await u.post("/v1/me/consents", { type: "analytics", granted: true, extra: 1 }));
    expectValidationError(await u.get("/v1/me/consents?type=nope"));
    const key = (await u.post("/v1/api-keys", { name: "k", scopes: ["entries:read"] })).body.key;
    expect((await u.withToken(key).post("/v1/me/consents", { type: "analytics", granted: true })).status).toBe(403);
    expect((await u.withToken(key).get("/v1/me/consents")).status).toBe(403);
    expect((await u.get("/v1/me/consents")).body.history).toEqual([]);
  });

  test("one user's consents are not another's", async () => {
    const a = await h.user();
    const b = await h.user();
    await a.post("/v1/me/consents", { type: "analytics", granted: true });
    expect((await b.get("/v1/me/consents")).body).toEqual({ current: [], history: [] });
    expect((await h.anon.get("/v1/me/consents")).status).toBe(401);
  });
});
