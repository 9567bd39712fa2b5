import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { generateKeyPair, SignJWT } from "jose";
import { createHarness, type Harness, uniqueEmail } from "../../test/harness";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

describe("accounts", () => {
  test("register signs the user in and login returns working tokens", async () => {
    const email = uniqueEmail("reg");
    const reg = await h.anon.post("/v1/auth/register", { email, password: "a long enough password", displayName: "Ana" });
    expect(reg.status).toBe(201);
    expect(reg.body.user).toMatchObject({ email, displayName: "Ana" });
    expect(reg.body.tokenType).toBe("Bearer");
    expect(reg.body.expiresIn).toBe(900);
    const login = await h.anon.post("/v1/auth/login", { email: email.toUpperCase(), password: "a long enough password" });
    expect(login.status).toBe(200);
    const me = await h.anon.withToken(login.body.accessToken).get("/v1/auth/me");
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(reg.body.user.id);
  });

  test("a taken email is 409 and the first account still works", async () => {
    const u = await h.user();
    const dup = await h.anon.post("/v1/auth/register", { email: u.info.email, password: "another password!" });
    expect(dup.status).toBe(409);
    expect(dup.body.error.code).toBe("CONFLICT");
    expect((await h.anon.post("/v1/auth/login", { email: u.info.email, password: u.info.password })).status).toBe(200);
  });

  test("register validates email and password length with the error envelope", async () => {
    const res = await h.anon.post("/v1/auth/register", { email: "not-an-email", password: "short" });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("VALIDATION_FAILED");
    expect(typeof res.body.error.requestId).toBe("string");
    const paths = res.body.error.details.map((d: { path: string }) => d.path);
    expect(paths).toContain("email");
    expect(paths).toContain("password");
  });

  test("stored passwords are argon2id hashes, never the password", async () => {
    const u = await h.user();
    const rows = await h.services.db.primary.execute(`select password_hash from users where id = '${u.info.id}'` as never);
    const hash = (rows as unknown as { password_hash: string }[])[0]?.password_hash ?? "";
    expect(hash.startsWith("$argon2id$")).toBe(true);
    expect(hash).toContain("m=19456,t=2");
    expect(hash).not.toContain(u.info.password);
  });

  test("wrong password is 401, and the account locks after repeated failures", async () => {
    const u = await h.user();
    for (let i = 0; i < 5; i++) {
      const bad = await h.anon.post("/v1/auth/login", { email: u.info.email, password: "wrong password" });
      expect(bad.status).toBe(401);
    }
    const locked = await h.anon.post("/v1/auth/login", { email: u.info.email, password: u.info.password });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  test("parallel wrong passwords: at most LOGIN_MAX_FAILURES reach the password check, the rest are 429", async () => {
    const u = await h.user();
    const guesses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => h.anon.post("/v1/auth/login", { email: u.info.email, password: `wrong password ${i}` })),
    );
    const statuses = guesses.map((r) => r.status);
    expect(statuses.filter((s) => s === 401).length).toBe(h.services.env.LOGIN_MAX_FAILURES);
    expect(statuses.filter((s) => s === 429).length).toBe(20 - h.services.env.LOGIN_MAX_FAILURES);
    // Only the attempts that were checked are recorded as failures.
    const rows = (await h.services.db.primary.execute(
      `select count(*)::int as n from audit_log where user_id = '${u.info.id}' and action = 'auth.login_failed'` as never,
    )) as unknown as { n: number }[];
    expect(rows[0]?.n).toBe(h.services.env.LOGIN_MAX_FAILURES);
    expect((await h.anon.post("/v1/auth/login", { email: u.info.email, password: u.info.password })).status).toBe(429);
  });

  test("a correct password clears the failure count", async () => {
    const u = await h.user();
    const max = h.services.env.LOGIN_MAX_FAILURES;
    for (let i = 0; i < max - 1; i++)
      expect((await h.anon.post("/v1/auth/login", { email: u.info.email, password: "nope nope" })).status).toBe(401);
    expect((await h.anon.post("/v1/auth/login", { email: u.info.email, password: u.info.password })).status).toBe(200);
    for (let i = 0; i < max - 1; i++)
      expect((await h.anon.post("/v1/auth/login", { email: u.info.email, password: "nope nope" })).status).toBe(401);
    expect((await h.anon.post("/v1/auth/login", { email: u.info.email, password: u.info.password })).status).toBe(200);
  });

  test("unknown email gets the same 401 as a wrong password", async () => {
    const res = await h.anon.post("/v1/auth/login", { email: uniqueEmail("ghost"), password: "whatever password" });
    expect(res.status).toBe(401);
    expect(res.body.error.message).toBe("Email or password is incorrect");
  });
});

describe("access tokens", () => {
  test("missing, malformed and tampered tokens are 401", async () => {
    const u = await h.user();
    expect((await h.anon.get("/v1/entries")).status).toBe(401);
    expect((await h.anon.withToken("garbage").get("/v1/entries")).status).toBe(401);
    const [head, payload, sig] = (u.token as string).split(".");
    const claims = JSON.parse(Buffer.from(payload as string, "base64url").toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, sub: "00000000-0000-7000-8000-000000000000" })).toString("base64url");
    expect((await h.anon.withToken(`${head}.${forged}.${sig}`).get("/v1/entries")).status).toBe(401);
  });

  test("tokens signed with another key, another algorithm or alg none are refused", async () => {
    const u = await h.user();
    const claims = JSON.parse(Buffer.from((u.token as string).split(".")[1] as string, "base64url").toString());
    const { privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
    const kid = h.services.tokens.publicJwks[0]?.kid as string;
    const otherKey = await new SignJWT(claims).setProtectedHeader({ alg: "EdDSA", kid }).sign(privateKey);
    expect((await h.anon.withToken(otherKey).get("/v1/entries")).status).toBe(401);
    // HS256 keyed with the public key: the classic algorithm-confusion attack.
    const pub = new TextEncoder().encode(JSON.stringify(h.services.tokens.publicJwks[0]));
    const hs = await new SignJWT(claims).setProtectedHeader({ alg: "HS256", kid }).sign(pub);
    expect((await h.anon.withToken(hs).get("/v1/entries")).status).toBe(401);
    const none = `${Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url")}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.`;
    expect((await h.anon.withToken(none).get("/v1/entries")).status).toBe(401);
  });

  test("expired tokens and wrong issuer or audience are refused", async () => {
    const u = await h.user();
    const claims = JSON.parse(Buffer.from((u.token as string).split(".")[1] as string, "base64url").toString());
    const keyFile = Bun.file(`${h.services.env.DATA_DIR}/keys/jwt-ed25519.jwk.json`);
    const { importJWK } = await import("jose");
    const key = await importJWK({ ...(await keyFile.json()), alg: "EdDSA" }, "EdDSA");
    const kid = h.services.tokens.publicJwks[0]?.kid as string;
    const sign = (c: Record<string, unknown>) => new SignJWT(c).setProtectedHeader({ alg: "EdDSA", kid }).sign(key);
    const now = Math.floor(Date.now() / 1000);
    const valid = await sign({ ...claims, iat: now, exp: now + 60 });
    expect((await h.anon.withToken(valid).get("/v1/entries")).status).toBe(200); // the forging works…
    expect((await h.anon.withToken(await sign({ ...claims, iat: now - 1000, exp: now - 1 })).get("/v1/entries")).status).toBe(401);
    expect((await h.anon.withToken(await sign({ ...claims, iss: "someone-else" })).get("/v1/entries")).status).toBe(401);
    expect((await h.anon.withToken(await sign({ ...claims, aud: "other-api" })).get("/v1/entries")).status).toBe(401);
  });

  test("JWKS publishes the Ed25519 public key and no private part", async () => {
    const res = await h.anon.get("/.well-known/jwks.json");
    expect(res.status).toBe(200);
    const [key] = res.body.keys;
    expect(key).toMatchObject({ kty: "OKP", crv: "Ed25519", alg: "EdDSA", use: "sig" });
    expect(key.d).toBeUndefined();
    const header = JSON.parse(Buffer.from(((await h.user()).token as string).split(".")[0] as string, "base64url").toString());
    expect(header).toMatchObject({ alg: "EdDSA", kid: key.kid });
  });
});

describe("refresh and logout", () => {
  test("refresh rotates: the new pair works and the old refresh token is spent", async () => {
    const u = await h.user();
    const r1 = await h.anon.post("/v1/auth/refresh", { refreshToken: u.info.refreshToken });
    expect(r1.status).toBe(200);
    expect(r1.body.refreshToken).not.toBe(u.info.refreshToken);
    expect((await h.anon.withToken(r1.body.accessToken).get("/v1/auth/me")).status).toBe(200);
    const r2 = await h.anon.post("/v1/auth/refresh", { refreshToken: r1.body.refreshToken });
    expect(r2.status).toBe(200);
  });

  test("reusing a rotated refresh token revokes the whole family", async () => {
    const u = await h.user();
    const r1 = await h.anon.post("/v1/auth/refresh", { refreshToken: u.info.refreshToken });
    expect(r1.status).toBe(200);
    const replay = await h.anon.post("/v1/auth/refresh", { refreshToken: u.info.refreshToken });
    expect(replay.status).toBe(401);
    expect(replay.body.error.message).toContain("reuse");
    // The legitimate newer token is dead too, and so are access tokens of that login.
    expect((await h.anon.post("/v1/auth/refresh", { refreshToken: r1.body.refreshToken })).status).toBe(401);
    expect((await h.anon.withToken(r1.body.accessToken).get("/v1/auth/me")).status).toBe(401);
  });

  test("logout revokes the access token and refresh token of that login only", async () => {
    const u = await h.user();
    const other = await h.anon.post("/v1/auth/login", { email: u.info.email, password: u.info.password });
    expect((await u.post("/v1/auth/logout")).status).toBe(204);
    expect((await u.get("/v1/auth/me")).status).toBe(401);
    expect((await h.anon.post("/v1/auth/refresh", { refreshToken: u.info.refreshToken })).status).toBe(401);
    expect((await h.anon.withToken(other.body.accessToken).get("/v1/auth/me")).status).toBe(200);
  });

  test("an unknown refresh token is 401", async () => {
    expect((await h.anon.post("/v1/auth/refresh", { refreshToken: "tccr_nope" })).status).toBe(401);
  });
});
