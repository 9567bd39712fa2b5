import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rowsOf } from "@tcc/db";
import { sql } from "drizzle-orm";
import { Secret, TOTP } from "otpauth";
import { type Client, createHarness, type Harness } from "../../test/harness";

let h: Harness;
// Each TOTP code works once, and a code is accepted one 30 s step either side of now: tests move
// the service clock a step per code, as real time would between sign-ins.
let offsetMs = 0;
beforeAll(async () => {
  h = await createHarness({ MFA_MAX_FAILURES: "4" });
  h.services.clock = () => new Date(Date.now() + offsetMs);
});
afterAll(() => h.close());

function nextCode(secret: string): string {
  offsetMs += 30_000;
  return TOTP.generate({ secret: Secret.fromBase32(secret), timestamp: Date.now() + offsetMs });
}

/** A user with MFA on: their secret and recovery codes. */
async function withMfa(): Promise<{ u: Client; secret: string; recoveryCodes: string[] }> {
  const u = await h.user();
  const start = await u.post("/v1/me/mfa/totp");
  expect(start.status).toBe(201);
  const confirm = await u.post("/v1/me/mfa/totp/confirm", { code: nextCode(start.body.secret) });
  expect(confirm.status).toBe(200);
  return { u, secret: start.body.secret, recoveryCodes: confirm.body.recoveryCodes };
}

const login = (u: Client) => h.anon.post("/v1/auth/login", { email: u.info.email, password: u.info.password });

describe("MFA enrolment", () => {
  test("enrol returns the secret and its otpauth URI; a code confirms it and yields ten recovery codes", async () => {
    const u = await h.user();
    expect((await u.get("/v1/me/mfa")).body).toEqual({ enabled: false, pending: false, enabledAt: null, recoveryCodesRemaining: 0 });
    const start = await u.post("/v1/me/mfa/totp");
    expect(start.status).toBe(201);
    expect(start.body.secret).toMatch(/^[A-Z2-7]{32}$/);
    const uri = new URL(start.body.otpauthUri);
    expect(uri.protocol).toBe("otpauth:");
    expect(uri.searchParams.get("secret")).toBe(start.body.secret);
    expect(uri.searchParams.get("issuer")).toBe("TCC Log");
    expect(decodeURIComponent(uri.pathname)).toContain(u.info.email);
    expect((await u.get("/v1/me/mfa")).body.pending).toBe(true);
    // Not on until confirmed: sign-in still gives tokens.
    expect((await login(u)).body.accessToken).toBeString();
    expect((await u.post("/v1/me/mfa/totp/confirm", { code: "000000" })).status).toBe(401);
    const ok = await u.post("/v1/me/mfa/totp/confirm", { code: nextCode(start.body.secret) });
    expect(ok.status).toBe(200);
    expect(ok.body.recoveryCodes).toHaveLength(10);
    expect(new Set(ok.body.recoveryCodes).size).toBe(10);
    const status = (await u.get("/v1/me/mfa")).body;
    expect(status).toMatchObject({ enabled: true, pending: false, recoveryCodesRemaining: 10 });
    expect((await u.post("/v1/me/mfa/totp")).status).toBe(409);
  });

  test("the secret is stored encrypted and recovery codes hashed", async () => {
    const { u, secret, recoveryCodes } = await withMfa();
    const db = h.services.db.primary;
    const [mfa] = rowsOf<{ secret: string }>(await db.execute(sql`select secret from user_mfa where user_id = ${u.info.id}`));
    expect(mfa?.secret).not.toContain(secret);
    expect(mfa?.secret.startsWith("v1.")).toBe(true);
    const codes = rowsOf<{ code_hash: string }>(
      await db.execute(sql`select code_hash from mfa_recovery_codes where user_id = ${u.info.id}`),
    );
    expect(codes).toHaveLength(10);
    for (const c of codes) expect(recoveryCodes.map((r) => r.replace("-", ""))).not.toContain(c.code_hash);
  });

  test("confirm without an enrolment, and disable when off, are 409", async () => {
    const u = await h.user();
    expect((await u.post("/v1/me/mfa/totp/confirm", { code: "123456" })).status).toBe(409);
    expect((await u.post("/v1/me/mfa/disable", { password: u.info.password, code: "123456" })).status).toBe(409);
    expect((await u.post("/v1/me/mfa/recovery-codes", { code: "123456" })).status).toBe(409);
  });
});

describe("MFA sign-in", () => {
  test("the password gives a challenge, not tokens; a code completes it, once", async () => {
    const { u, secret } = await withMfa();
    const first = await login(u);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ mfaRequired: true, methods: ["totp", "recovery_code"] });
    expect(first.body.accessToken).toBeUndefined();
    expect((await h.anon.post("/v1/auth/login/mfa", { mfaToken: first.body.mfaToken, code: "000000" })).status).toBe(401);
    const code = nextCode(secret);
    const done = await h.anon.post("/v1/auth/login/mfa", { mfaToken: first.body.mfaToken, code });
    expect(done.status).toBe(200);
    expect(done.body.user.id).toBe(u.info.id);
    expect((await u.withToken(done.body.accessToken).get("/v1/entries")).status).toBe(200);
    // The challenge is spent, and the code cannot be replayed on a new one.
    expect((await h.anon.post("/v1/auth/login/mfa", { mfaToken: first.body.mfaToken, code: nextCode(secret) })).status).toBe(401);
    const again = await login(u);
    expect((await h.anon.post("/v1/auth/login/mfa", { mfaToken: again.body.mfaToken, code })).status).toBe(401);
  });

  test("a recovery code works once in place of a code", async () => {
    const { u, recoveryCodes } = await withMfa();
    const [rc] = recoveryCodes as [string];
    const a = await login(u);
    const ok = await h.anon.post("/v1/auth/login/mfa", { mfaToken: a.body.mfaToken, recoveryCode: rc.toUpperCase() });
    expect(ok.status).toBe(200);
    const b = await login(u);
    expect((await h.anon.post("/v1/auth/login/mfa", { mfaToken: b.body.mfaToken, recoveryCode: rc })).status).toBe(401);
    expect((await u.get("/v1/me/mfa")).body.recoveryCodesRemaining).toBe(9);
    const actions = (await u.get("/v1/me/audit")).body.items.map((e: { action: string }) => e.action);
    expect(actions).toContain("mfa.recovery_code_used");
    expect(actions).toContain("auth.mfa_challenged");
  });

  test("wrong codes in parallel: only MFA_MAX_FAILURES are checked, then even the right code waits", async () => {
    const { u, secret } = await withMfa();
    const ch = await login(u);
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => h.anon.post("/v1/auth/login/mfa", { mfaToken: ch.body.mfaToken, code: String(100000 + i) })),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(4);
    expect(statuses.filter((s) => s === 429)).toHaveLength(8);
    expect(Number(results.find((r) => r.status === 429)?.headers.get("retry-after"))).toBeGreaterThan(0);
    const right = await h.anon.post("/v1/auth/login/mfa", { mfaToken: ch.body.mfaToken, code: nextCode(secret) });
    expect(right.status).toBe(429);
  });

  test("one challenge completed twice at once yields one session", async () => {
    const { u, recoveryCodes } = await withMfa();
    const ch = await login(u);
    const results = await Promise.all(
      recoveryCodes.slice(0, 3).map((recoveryCode) => h.anon.post("/v1/auth/login/mfa", { mfaToken: ch.body.mfaToken, recoveryCode })),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    const sessions = (await u.get("/v1/me/sessions")).body.items;
    expect(sessions).toHaveLength(1 + 1); // the registration's and this one
  });

  test("bad bodies are validation errors", async () => {
    const { u } = await withMfa();
    const ch = await login(u);
    for (const body of [
      { mfaToken: ch.body.mfaToken },
      { mfaToken: ch.body.mfaToken, code: "12ab56" },
      { mfaToken: ch.body.mfaToken, code: "123456", recoveryCode: "abcde-fghij" },
      { code: "123456" },
    ]) {
      const res = await h.anon.post("/v1/auth/login/mfa", body);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe("VALIDATION_FAILED");
    }
    expect((await u.post("/v1/me/mfa/totp/confirm", { code: "1234567" })).status).toBe(400);
    expect((await u.post("/v1/me/mfa/disable", { password: "x" })).status).toBe(400);
  });
});

describe("MFA management", () => {
  test("disable needs the password and a code; afterwards sign-in gives tokens again", async () => {
    const { u, secret } = await withMfa();
    expect((await u.post("/v1/me/mfa/disable", { code: nextCode(secret) })).status).toBe(401);
    expect((await u.post("/v1/me/mfa/disable", { password: "not the password", code: nextCode(secret) })).status).toBe(401);
    expect((await u.post("/v1/me/mfa/disable", { password: u.info.password, code: "000000" })).status).toBe(401);
    const off = await u.post("/v1/me/mfa/disable", { password: u.info.password, code: nextCode(secret) });
    expect(off.status).toBe(204);
    expect((await u.get("/v1/me/mfa")).body.enabled).toBe(false);
    expect((await login(u)).body.accessToken).toBeString();
    const actions = (await u.get("/v1/me/audit?limit=100")).body.items.map((e: { action: string }) => e.action);
    for (const a of ["mfa.enrolment_started", "mfa.enabled", "mfa.failed", "mfa.disabled"]) expect(actions).toContain(a);
  });

  test("new recovery codes replace the old ones", async () => {
    const { u, secret, recoveryCodes } = await withMfa();
    const res = await u.post("/v1/me/mfa/recovery-codes", { code: nextCode(secret) });
    expect(res.status).toBe(200);
    expect(res.body.recoveryCodes).toHaveLength(10);
    const ch = await login(u);
    expect((await h.anon.post("/v1/auth/login/mfa", { mfaToken: ch.body.mfaToken, recoveryCode: recoveryCodes[0] })).status).toBe(401);
    expect((await h.anon.post("/v1/auth/login/mfa", { mfaToken: ch.body.mfaToken, recoveryCode: res.body.recoveryCodes[0] })).status).toBe(
      200,
    );
  });

  test("one user's codes and challenges do nothing for another", async () => {
    const a = await withMfa();
    const b = await withMfa();
    const chA = await login(a.u);
    expect((await h.anon.post("/v1/auth/login/mfa", { mfaToken: chA.body.mfaToken, code: nextCode(b.secret) })).status).toBe(401);
    expect((await h.anon.post("/v1/auth/login/mfa", { mfaToken: chA.body.mfaToken, recoveryCode: b.recoveryCodes[0] })).status).toBe(401);
    expect((await b.u.post("/v1/me/mfa/disable", { password: b.u.info.password, recoveryCode: a.recoveryCodes[0] })).status).toBe(401);
    expect((await a.u.get("/v1/me/mfa")).body.enabled).toBe(true);
    expect((await b.u.get("/v1/me/mfa")).body.enabled).toBe(true);
    const fresh = await h.user();
    expect((await fresh.get("/v1/me/mfa")).body.enabled).toBe(false);
  });

  test("an API key cannot read or change MFA", async () => {
    const u = await h.user();
    const key = (await u.post("/v1/api-keys", { name: "k", scopes: ["entries:read", "entries:write"] })).body.key;
    const k = u.withToken(key);
    expect((await k.get("/v1/me/mfa")).status).toBe(403);
    expect((await k.post("/v1/me/mfa/totp")).status).toBe(403);
    expect((await u.get("/v1/me/mfa")).body.pending).toBe(false);
  });
});
