import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Client, createHarness, type Harness, uniqueEmail } from "../../test/harness";
import { type OidcServer, startOidcServer } from "../../test/oidc-server";

// A real OpenID Connect provider (oidc-provider) on a loopback port; core discovers it, sends
// the "browser" there, and verifies what comes back. The redirect URI is never fetched: the
// test takes the provider's redirect and calls core's callback with its query.
const REDIRECT = "http://127.0.0.1:9/v1/auth/oidc/local/callback";
let op: OidcServer;
let h: Harness;
beforeAll(async () => {
  op = await startOidcServer([REDIRECT]);
  h = await createHarness({
    OIDC_PROVIDERS: JSON.stringify([
      {
        id: "local",
        name: "Local IdP",
        issuer: op.issuer,
        clientId: op.clientId,
        clientSecret: op.clientSecret,
        redirectUri: REDIRECT,
        allowHttp: true,
      },
    ]),
  });
}, 30_000);
afterAll(async () => {
  await h.close();
  await op.close();
});

let subjects = 0;
function person(email = uniqueEmail("oidc"), verified = true) {
  const sub = `sub-${Date.now()}-${++subjects}`;
  op.accounts.set(sub, { sub, email, email_verified: verified, name: "Olga" });
  return { sub, email };
}

/** Start at core, sign in at the provider as `sub`, and return the callback's query. */
async function throughProvider(
  sub: string,
  start: () => Promise<{ status: number; body: { authorizationUrl: string } }> = () => h.anon.post("/v1/auth/oidc/local/start"),
) {
  const res = await start();
  expect(res.status).toBe(200);
  const back = await op.authorize(res.body.authorizationUrl, sub);
  expect(back.href.startsWith(REDIRECT)).toBe(true);
  return back.search;
}
const callback = (search: string) => h.anon.get(`/v1/auth/oidc/local/callback${search}`);

describe("OIDC sign-in", () => {
  test("lists providers; the authorization URL asks for a code with PKCE S256, state and nonce", async () => {
    expect((await h.anon.get("/v1/auth/oidc/providers")).body).toEqual({ items: [{ id: "local", name: "Local IdP" }] });
    const url = new URL((await h.anon.post("/v1/auth/oidc/local/start")).body.authorizationUrl);
    expect(url.origin).toBe(op.issuer);
    for (const p of ["state", "nonce", "code_challenge"]) expect(url.searchParams.get(p)?.length).toBeGreaterThan(20);
    expect(url.searchParams.get("code_challenge_method")).toBe("S256");
    expect(url.searchParams.get("response_type")).toBe("code");
    expect(url.searchParams.get("redirect_uri")).toBe(REDIRECT);
    expect((await h.anon.post("/v1/auth/oidc/nope/start")).status).toBe(404);
  });

  test("a new verified email gets an account without a password; the same identity signs in to it again", async () => {
    const who = person();
    const first = await callback(await throughProvider(who.sub));
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ status: "signed_in", user: { email: who.email, displayName: "Olga", role: "user" } });
    const u = h.anon.withToken(first.body.accessToken);
    expect((await u.get("/v1/entries")).status).toBe(200);
    expect((await u.get("/v1/me/identities")).body.items).toEqual([expect.objectContaining({ provider: "local", email: who.email })]);
    const again = await callback(await throughProvider(who.sub));
    expect(again.body.user.id).toBe(first.body.user.id);
    // No password: password sign-in is refused like a wrong one.
    expect((await h.anon.post("/v1/auth/login", { email: who.email, password: "anything at all" })).status).toBe(401);
    const actions = (await u.get("/v1/me/audit")).body.items.map((e: { action: string; metadata: unknown }) => e.action);
    expect(actions).toContain("auth.register");
  });

  test("state is single-use and must be ours; a tampered code is refused; bad queries are 400", async () => {
    const who = person();
    const search = await throughProvider(who.sub);
    const [a, b] = await Promise.all([callback(search), callback(search)]);
    expect([a.status, b.status].sort()).toEqual([200, 401]);
    expect((await callback(search)).status).toBe(401);
    const forged = new URLSearchParams(await throughProvider(who.sub));
    forged.set("state", "made-up-state");
    expect((await callback(`?${forged}`)).status).toBe(401);
    const tampered = new URLSearchParams(await throughProvider(who.sub));
    tampered.set("code", `${tampered.get("code")}x`);
    expect((await callback(`?${tampered}`)).status).toBe(401);
    expect((await h.anon.get("/v1/auth/oidc/local/callback?code=abc")).status).toBe(400);
    expect((await h.anon.get("/v1/auth/oidc/Bad_Id/callback?state=x")).status).toBe(400);
  });

  test("an unverified email is not trusted for anything", async () => {
    const existing = await h.user();
    const spoof = person(existing.info.email, false);
    const res = await callback(await throughProvider(spoof.sub));
    expect(res.status).toBe(422);
    const fresh = person(uniqueEmail("unverified"), false);
    expect((await callback(await throughProvider(fresh.sub))).status).toBe(422);
  });
});

describe("OIDC linking", () => {
  test("a verified email matching an account links only after that account's password", async () => {
    const u = await h.user();
    const who = person(u.info.email);
    const res = await callback(await throughProvider(who.sub));
    expect(res.body).toMatchObject({ status: "link_required", email: u.info.email, provider: "local" });
    expect(res.body.accessToken).toBeUndefined();
    const token = res.body.pendingLinkToken;
    expect((await h.anon.post("/v1/auth/oidc/link/confirm", { pendingLinkToken: token, password: "wrong password" })).status).toBe(401);
    expect((await u.get("/v1/me/identities")).body.items).toEqual([]);
    const ok = await h.anon.post("/v1/auth/oidc/link/confirm", { pendingLinkToken: token, password: u.info.password });
    expect(ok.status).toBe(200);
    expect(ok.body.user.id).toBe(u.info.id);
    expect((await h.anon.post("/v1/auth/oidc/link/confirm", { pendingLinkToken: token, password: u.info.password })).status).toBe(401);
    const next = await callback(await throughProvider(who.sub));
    expect(next.body).toMatchObject({ status: "signed_in", user: { id: u.info.id } });
    expect((await h.anon.post("/v1/auth/oidc/link/confirm", { password: "x" })).status).toBe(400);
  });

  test("a signed-in user links an identity with any email; it cannot then be linked to someone else", async () => {
    const u = await h.user();
    const other = await h.user();
    const who = person(uniqueEmail("elsewhere"));
    const linked = await callback(await throughProvider(who.sub, () => u.post("/v1/me/identities/local")));
    expect(linked.body).toEqual({ status: "linked", provider: "local" });
    expect((await u.get("/v1/me/identities")).body.items).toHaveLength(1);
    const signIn = await callback(await throughProvider(who.sub));
    expect(signIn.body.user.id).toBe(u.info.id);
    const stolen = await callback(await throughProvider(who.sub, () => other.post("/v1/me/identities/local")));
    expect(stolen.status).toBe(409);
    expect((await other.get("/v1/me/identities")).body.items).toEqual([]);
    expect(
      (
        await u
          .withToken((await other.post("/v1/api-keys", { name: "k", scopes: ["entries:read"] })).body.key)
          .post("/v1/me/identities/local")
      ).status,
    ).toBe(403);
  });

  test("with MFA on, an OIDC sign-in still asks for the second factor", async () => {
    const u = await h.user();
    const who = person(uniqueEmail("mfa"));
    await callback(await throughProvider(who.sub, () => u.post("/v1/me/identities/local")));
    const { TOTP, Secret } = await import("otpauth");
    const start = await u.post("/v1/me/mfa/totp");
    await u.post("/v1/me/mfa/totp/confirm", { code: TOTP.generate({ secret: Secret.fromBase32(start.body.secret) }) });
    const res = await callback(await throughProvider(who.sub));
    expect(res.body).toMatchObject({ status: "mfa_required", mfaRequired: true });
    expect(res.body.accessToken).toBeUndefined();
  });

  test("unlinking: another user's identity is 404, the last way into a passwordless account is 409", async () => {
    const who = person();
    const created = await callback(await throughProvider(who.sub));
    const oidcOnly = h.anon.withToken(created.body.accessToken);
    const [identity] = (await oidcOnly.get("/v1/me/identities")).body.items;
    const other: Client = await h.user();
    expect((await other.del(`/v1/me/identities/${identity.id}`)).status).toBe(404);
    expect((await oidcOnly.del(`/v1/me/identities/${identity.id}`)).status).toBe(409);
    expect((await oidcOnly.del("/v1/me/identities/not-a-uuid")).status).toBe(400);
    const u = await h.user();
    const mine = person(uniqueEmail("unlink"));
    await callback(await throughProvider(mine.sub, () => u.post("/v1/me/identities/local")));
    const [linked] = (await u.get("/v1/me/identities")).body.items;
    expect((await u.del(`/v1/me/identities/${linked.id}`)).status).toBe(204);
    expect((await u.get("/v1/me/identities")).body.items).toEqual([]);
    expect((await u.get("/v1/me/audit")).body.items.map((e: { action: string }) => e.action)).toContain("oidc.unlinked");
  });
});
