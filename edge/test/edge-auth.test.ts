import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { EDGE_TRUST_HEADER } from "@tcc/shared/contracts";
import { generateKeyPair, importJWK, type JWK, SignJWT } from "jose";
import { type Edge, startEdge } from "../local/miniflare";
import { call, type Origin, register, startOrigin, TRUST_SECRET } from "./stack";

// Real core and workerd on a shared machine: a test waits for freshness windows and slow requests.
setDefaultTimeout(30_000);

let origin: Origin;
let edge: Edge;

beforeAll(async () => {
  origin = await startOrigin();
  edge = await startEdge({ CORE_ORIGIN: origin.url, EDGE_TRUST_SECRET: TRUST_SECRET });
}, 60_000);
afterAll(async () => {
  await edge?.stop();
  await origin?.stop();
});

/** A token signed with core's own key (from its DATA_DIR), with claims a test chooses. */
async function coreSigned(claims: Record<string, unknown>, header: Record<string, unknown> = {}) {
  const jwk = JSON.parse(readFileSync(join(origin.dataDir, "keys/jwt-ed25519.jwk.json"), "utf8")) as JWK;
  const jwks = (await (await fetch(`${origin.core.url}/.well-known/jwks.json`)).json()) as { keys: JWK[] };
  const key = await importJWK({ ...jwk, alg: "EdDSA" }, "EdDSA");
  const now = Math.floor(Date.now() / 1000);
  const payload = {
    iss: "tcc-log",
    aud: "tcc-log-api",
    sub: crypto.randomUUID(),
    sid: crypto.randomUUID(),
    jti: crypto.randomUUID(),
    iat: now,
    exp: now + 600,
    ...claims,
  };
  return new SignJWT(payload).setProtectedHeader({ alg: "EdDSA", kid: jwks.keys[0]?.kid, typ: "JWT", ...header }).sign(key);
}

describe("tokens at the edge", () => {
  test("a signed-in request reaches core with a trust header, and core answers as that user", async () => {
    const a = await register(edge.url, "edge-auth");
    const res = await call(edge.url, "GET", "/v1/auth/me", a.token);
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(a.userId);
    const seen = origin.seen.filter((s) => s.path === "/v1/auth/me").at(-1);
    expect(seen?.headers.get(EDGE_TRUST_HEADER)).toMatch(new RegExp(`^v1\\.${a.userId}\\.`));
  });

  test("malformed, expired, forged, wrong-issuer, wrong-audience and wrong-algorithm tokens get core's envelope at the edge and never reach core", async () => {
    const path = "/v1/entries?limit=7";
    const { privateKey: stranger } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
    const jwks = (await (await fetch(`${origin.core.url}/.well-known/jwks.json`)).json()) as { keys: JWK[] };
    const now = Math.floor(Date.now() / 1000);
    const forgedSameKid = await new SignJWT({ sid: "s" })
      .setProtectedHeader({ alg: "EdDSA", kid: jwks.keys[0]?.kid })
      .setIssuer("tcc-log")
      .setAudience("tcc-log-api")
      .setSubject("someone")
      .setJti("j")
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(stranger);
    const forgedNewKid = await new SignJWT({ sid: "s" })
      .setProtectedHeader({ alg: "EdDSA", kid: "not-a-kid-of-core" })
      .setIssuer("tcc-log")
      .setAudience("tcc-log-api")
      .setSubject("someone")
      .setJti("j")
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(stranger);
    const hs256 = await new SignJWT({ sid: "s" })
      .setProtectedHeader({ alg: "HS256", kid: jwks.keys[0]?.kid })
      .setIssuer("tcc-log")
      .setAudience("tcc-log-api")
      .setSubject("someone")
      .setJti("j")
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(new TextEncoder().encode(JSON.stringify(jwks.keys[0])));
    const bad = [
      "not-a-jwt",
      "a.b.c",
      await coreSigned({ exp: now - 10, iat: now - 100 }),
      await coreSigned({ iss: "someone-else" }),
      await coreSigned({ aud: "another-api" }),
      forgedSameKid,
      forgedNewKid,
      hs256,
    ];
    for (const token of bad) {
      const res = await call(edge.url, "GET", path, token);
      expect(res.status).toBe(401);
      expect(res.body.error).toMatchObject({ code: "UNAUTHORIZED", message: "Invalid or expired access token" });
      expect(typeof res.body.error.requestId).toBe("string");
    }
    // Many forged kids at once: still nothing forwarded, and core's keys fetched at most once more.
    const jwksBefore = origin.count("/.well-known/jwks.json");
    const many = await Promise.all(Array.from({ length: 20 }, () => call(edge.url, "GET", path, forgedNewKid)));
    expect(many.every((r) => r.status === 401)).toBe(true);
    expect(origin.count(path)).toBe(0);
    expect(origin.count("/.well-known/jwks.json") - jwksBefore).toBeLessThanOrEqual(1);
    // The same rules accept what core itself would: a good token of core's key goes through.
    expect((await call(edge.url, "GET", "/v1/entries?limit=8", await coreSigned({}))).status).toBe(200);
    expect(origin.count("/v1/entries?limit=8")).toBe(1);
  });

  test("core's own rules and the edge's agree: a token core signs is accepted at the edge", async () => {
    const a = await register(edge.url, "edge-agree");
    const res = await call(edge.url, "GET", "/v1/entries", a.token);
    expect(res.status).toBe(200);
    expect(origin.count("/v1/entries")).toBeGreaterThanOrEqual(1);
  });

  test("API keys pass through for core to check (no trust header); a revoked one is refused by core", async () => {
    const a = await register(edge.url, "edge-key");
    const made = await call(edge.url, "POST", "/v1/api-keys", a.token, { name: "script", scopes: ["entries:read"] });
    expect(made.status).toBe(201);
    const key = made.body.key as string;
    expect(key.startsWith("tcc_")).toBe(true);
    const res = await call(edge.url, "GET", "/v1/entries?limit=3", key);
    expect(res.status).toBe(200);
    const seen = origin.seen.filter((s) => s.path === "/v1/entries?limit=3").at(-1);
    expect(seen?.headers.has(EDGE_TRUST_HEADER)).toBe(false);
    expect((await call(edge.url, "GET", "/v1/entries?limit=4", "tcc_not_a_real_key")).status).toBe(401);
    expect(origin.count("/v1/entries?limit=4")).toBe(1); // core judged it
  });

  test("a trust header sent by a client is dropped at the edge; the edge's own is the only one core sees", async () => {
    const a = await register(edge.url, "edge-strip");
    const res = await call(edge.url, "GET", "/v1/auth/me?x=1", a.token, undefined, { [EDGE_TRUST_HEADER]: "v1.forged" });
    expect(res.status).toBe(200);
    const seen = origin.seen.filter((s) => s.path === "/v1/auth/me?x=1").at(-1);
    expect(seen?.headers.get(EDGE_TRUST_HEADER)).not.toBe("v1.forged");
    // Without a token the client's header is still dropped: core sees none and answers 401 itself.
    const anon = await call(edge.url, "GET", "/v1/auth/me?x=2", undefined, undefined, { [EDGE_TRUST_HEADER]: "v1.forged" });
    expect(anon.status).toBe(401);
    expect(
      origin.seen
        .filter((s) => s.path === "/v1/auth/me?x=2")
        .at(-1)
        ?.headers.has(EDGE_TRUST_HEADER),
    ).toBe(false);
  });

  test("a trust header the edge sent is refused when replayed to core, and a forged one is refused", async () => {
    const a = await register(edge.url, "edge-replay");
    const b = await register(edge.url, "edge-replay-b");
    expect((await call(edge.url, "GET", "/v1/auth/me?r=1", a.token)).status).toBe(200);
    const sent = origin.seen
      .filter((s) => s.path === "/v1/auth/me?r=1")
      .at(-1)
      ?.headers.get(EDGE_TRUST_HEADER) as string;
    expect(sent).toBeTruthy();
    // Straight to core, as an attacker who captured it would; with B's valid token to boot.
    const replayed = await call(origin.core.url, "GET", "/v1/auth/me?r=1", b.token, undefined, { [EDGE_TRUST_HEADER]: sent });
    expect(replayed.status).toBe(401);
    expect(replayed.body.error.message).toContain("Replayed");
    // B rewrites the header to name A: the signature no longer matches.
    const forged = sent.replace(a.userId, b.userId);
    const res = await call(origin.core.url, "GET", "/v1/auth/me?r=1", b.token, undefined, { [EDGE_TRUST_HEADER]: forged });
    expect(res.status).toBe(401);
    expect(res.body.error.message).toBe("Invalid edge trust header");
  });

  test("x-request-id goes to core and comes back; the edge makes one when the client sends none", async () => {
    const res = await fetch(`${edge.url}/v1/entries?rid=1`, { headers: { "x-request-id": "edge-test-rid-42" } });
    expect(res.headers.get("x-request-id")).toBe("edge-test-rid-42");
    expect(
      origin.seen
        .filter((s) => s.path === "/v1/entries?rid=1")
        .at(-1)
        ?.headers.get("x-request-id"),
    ).toBe("edge-test-rid-42");
    const body = (await res.json()) as { error: { requestId: string } };
    expect(body.error.requestId).toBe("edge-test-rid-42");
    const made = await fetch(`${edge.url}/v1/entries?rid=2`);
    const id = made.headers.get("x-request-id");
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(
      origin.seen
        .filter((s) => s.path === "/v1/entries?rid=2")
        .at(-1)
        ?.headers.get("x-request-id"),
    ).toBe(id);
  });
});
