import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { EDGE_TRUST_HEADER, type EdgeTrust, newTrustNonce, signEdgeTrust } from "@tcc/shared/contracts";
import { decodeJwt } from "jose";
import { type Client, createHarness, type Harness } from "../../test/harness";

const SECRET = "core-test-edge-trust-secret-0123456789";

function sessionOf(u: Client): EdgeTrust {
  const claims = decodeJwt(u.token as string);
  return { userId: claims.sub as string, sessionId: claims.sid as string, ts: Math.floor(Date.now() / 1000), nonce: newTrustNonce() };
}

async function header(trust: EdgeTrust, method: string, path: string, secret = SECRET) {
  return { [EDGE_TRUST_HEADER]: await signEdgeTrust(secret, trust, { method, path }) };
}

describe("the edge trust header, with EDGE_TRUST_SECRET set", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness({ EDGE_TRUST_SECRET: SECRET, EDGE_TRUST_WINDOW_S: "30" });
  });
  afterAll(() => h.close());

  test("a validly signed header names the caller without a token", async () => {
    const a = await h.user("trust-a");
    const res = await h.anon.get("/v1/auth/me", await header(sessionOf(a), "GET", "/v1/auth/me"));
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(a.info.id);
  });

  test("the same header twice is a replay: the second is refused", async () => {
    const a = await h.user("trust-replay");
    const once = await header(sessionOf(a), "GET", "/v1/auth/me");
    expect((await h.anon.get("/v1/auth/me", once)).status).toBe(200);
    const again = await h.anon.get("/v1/auth/me", once);
    expect(again.status).toBe(401);
    expect(again.body.error.message).toContain("Replayed");
  });

  test("ten copies in flight at once: exactly one is accepted", async () => {
    const a = await h.user("trust-parallel");
    const once = await header(sessionOf(a), "GET", "/v1/auth/me");
    const all = await Promise.all(Array.from({ length: 10 }, () => h.anon.get("/v1/auth/me", once)));
    expect(all.map((r) => r.status).sort()).toEqual([200, 401, 401, 401, 401, 401, 401, 401, 401, 401]);
  });

  test("forged, stale, for another path or method, or malformed: 401 with the envelope, even with a valid token", async () => {
    const a = await h.user("trust-forged");
    const t = sessionOf(a);
    const cases = [
      await header({ ...t, nonce: newTrustNonce() }, "GET", "/v1/auth/me", "some-other-secret-0123456789abcdefgh"),
      await header({ ...t, nonce: newTrustNonce(), ts: t.ts - 120 }, "GET", "/v1/auth/me"),
      await header({ ...t, nonce: newTrustNonce(), ts: t.ts + 120 }, "GET", "/v1/auth/me"),
      await header({ ...t, nonce: newTrustNonce() }, "GET", "/v1/entries"),
      await header({ ...t, nonce: newTrustNonce() }, "POST", "/v1/auth/me"),
      { [EDGE_TRUST_HEADER]: "v1.not-a-header" },
      { [EDGE_TRUST_HEADER]: `v1.${t.userId}.${t.sessionId}.${t.ts}.${t.nonce}.AAAA` },
    ];
    for (const headers of cases) {
      const res = await a.get("/v1/auth/me", headers);
      expect(res.status).toBe(401);
      expect(res.body.error).toMatchObject({ code: "UNAUTHORIZED", message: "Invalid edge trust header" });
    }
  });

  test("a header for another user is refused unless the edge signed it; signed, it reads only that user's data", async () => {
    const a = await h.user("trust-owner");
    const b = await h.user("trust-other");
    const entry = await a.post("/v1/entries", { title: "A's own", content: "private" });
    expect(entry.status).toBe(201);
    const path = `/v1/entries/${entry.body.id}`;
    // B claims to be A with a header of B's making: refused.
    const forged = await header({ ...sessionOf(a), nonce: newTrustNonce() }, "GET", path, "b-made-this-up-0123456789abcdefghij");
    expect((await b.get(path, forged)).status).toBe(401);
    // The edge vouches for B: B is B, and A's entry is not found.
    expect((await h.anon.get(path, await header(sessionOf(b), "GET", path))).status).toBe(404);
    expect((await h.anon.get(path, await header(sessionOf(a), "GET", path))).status).toBe(200);
  });

  test("a logged-out session stays logged out behind a valid header", async () => {
    const a = await h.user("trust-logout");
    const t = sessionOf(a);
    expect((await a.post("/v1/auth/logout", {})).status).toBe(204);
    const res = await h.anon.get("/v1/auth/me", await header({ ...t, nonce: newTrustNonce() }, "GET", "/v1/auth/me"));
    expect(res.status).toBe(401);
  });
});

describe("without EDGE_TRUST_SECRET", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(() => h.close());

  test("the header means nothing: the token decides", async () => {
    const a = await h.user("trust-off");
    const signed = await header(sessionOf(a), "GET", "/v1/auth/me");
    expect((await h.anon.get("/v1/auth/me", signed)).status).toBe(401);
    expect((await a.get("/v1/auth/me", { [EDGE_TRUST_HEADER]: "v1.junk" })).status).toBe(200);
  });
});
