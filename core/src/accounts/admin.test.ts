import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { schema } from "@tcc/db";
import { eq, sql } from "drizzle-orm";
import { type Client, createHarness, type Harness } from "../../test/harness";
import { encodeCursor } from "../lib/cursor";

let h: Harness;
let admin: Client;
const root = join(import.meta.dir, "../../..");

async function promote(email: string) {
  const proc = Bun.spawn([process.execPath, "core/src/cli/users-promote.ts", email], {
    cwd: root,
    env: process.env,
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { out, err, code };
}

beforeAll(async () => {
  h = await createHarness();
  admin = await h.user("admin");
  const res = await promote(admin.info.email.toUpperCase());
  if (res.code !== 0) throw new Error(`users:promote failed: ${res.err}`);
}, 60_000);
afterAll(() => h.close());

const login = (u: Client) => h.anon.post("/v1/auth/login", { email: u.info.email, password: u.info.password });

describe("roles", () => {
  test("users:promote makes the first admin, and says so when the email is unknown", async () => {
    expect((await admin.get("/v1/auth/me")).body.role).toBe("admin");
    const unknown = await promote("nobody-here@example.test");
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain("no account");
    const audit = (await admin.get("/v1/me/audit")).body.items.map((e: { action: string }) => e.action);
    expect(audit).toContain("admin.role_changed");
  });

  test("a user, an admin's API key and an anonymous caller are refused on every admin route", async () => {
    const u = await h.user();
    const id = u.info.id;
    const key = (await admin.post("/v1/api-keys", { name: "k", scopes: ["entries:read"] })).body.key;
    const routes: [string, string, unknown?][] = [
      ["GET", "/v1/admin/users"],
      ["GET", `/v1/admin/users/${id}`],
      ["PATCH", `/v1/admin/users/${id}`, { role: "admin" }],
      ["POST", `/v1/admin/users/${id}/suspend`, {}],
      ["POST", `/v1/admin/users/${id}/unsuspend`, {}],
      ["DELETE", `/v1/admin/users/${id}`],
      ["GET", "/v1/admin/status"],
    ];
    for (const [method, path, body] of routes) {
      expect((await u.request(method, path, body)).status, `${method} ${path}`).toBe(403);
      expect((await admin.withToken(key).request(method, path, body)).status, `key ${method} ${path}`).toBe(403);
      expect((await h.anon.request(method, path, body)).status, `anon ${method} ${path}`).toBe(401);
    }
    expect((await u.get("/v1/auth/me")).body.role).toBe("user");
    expect((await login(u)).status).toBe(200); // none of it reached the account
    const denied = (await u.get("/v1/me/audit?limit=100")).body.items.filter((e: { action: string }) => e.action === "admin.access_denied");
    expect(denied).toHaveLength(routes.length);
  });
});

describe("admin: users", () => {
  test("pages without gaps through accounts created within one millisecond", async () => {
    const label = `samems${crypto.randomUUID().slice(0, 8)}`;
    const users = [await h.user(label), await h.user(label), await h.user(label)];
    // Microseconds apart: a cursor that kept only a JS date's milliseconds lost the rest after page one.
    for (const [i, user] of users.entries()) {
      await h.services.db.primary
        .update(schema.users)
        .set({ createdAt: sql.raw(`'2031-01-01 00:00:00.000${i + 1}00+00'::timestamptz`) })
        .where(eq(schema.users.id, user.info.id));
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { items: { id: string }[]; nextCursor: string | null } } = await admin.get(
        `/v1/admin/users?q=${label}&limit=1${cursor ? `&cursor=${cursor}` : ""}`,
      );
      seen.push(...page.body.items.map((x) => x.id));
      cursor = page.body.nextCursor;
    } while (cursor && seen.length < 10);
    expect(seen).toEqual(users.map((x) => x.info.id).reverse());
  });

  test("lists accounts newest first, filters by email and status, and pages", async () => {
    const label = `listme${crypto.randomUUID().slice(0, 8)}`;
    const a = await h.user(label);
    const b = await h.user(label);
    const res = await admin.get(`/v1/admin/users?q=${label}&limit=1`);
    expect(res.status).toBe(200);
    expect(res.body.items[0]).toMatchObject({ id: b.info.id, email: b.info.email, role: "user", status: "active", mfaEnabled: false });
    const next = await admin.get(`/v1/admin/users?q=${label}&limit=1&cursor=${res.body.nextCursor}`);
    expect(next.body.items[0].id).toBe(a.info.id);
    const all = await admin.get("/v1/admin/users?limit=100");
    expect(all.body.items.map((x: { id: string }) => x.id)).toContain(admin.info.id);
    await admin.post(`/v1/admin/users/${a.info.id}/suspend`, {});
    const suspended = await admin.get(`/v1/admin/users?status=suspended&q=${label}`);
    expect(suspended.body.items.map((x: { id: string }) => x.id)).toEqual([a.info.id]);
    expect((await admin.get(`/v1/admin/users/${a.info.id}`)).body.status).toBe("suspended");
  });

  test("bad queries, ids and bodies are 400; an unknown id is 404", async () => {
    for (const path of [
      "/v1/admin/users?limit=0",
      "/v1/admin/users?status=banned",
      "/v1/admin/users?cursor=nope",
      // A real time with an id that is no uuid, and a year Postgres refuses: checked, not a 500.
      `/v1/admin/users?cursor=${encodeCursor({ v: "2024-01-01T00:00:00.000000Z", id: "not-a-uuid" })}`,
      `/v1/admin/users?cursor=${encodeCursor({ v: "0000-01-01T00:00:00.000000Z", id: "01900000-0000-7000-8000-000000000000" })}`,
      "/v1/admin/users/not-a-uuid",
    ]) {
      const res = await admin.get(path);
      expect(res.status, path).toBe(400);
      expect(res.body.error.code, path).toBe("VALIDATION_FAILED");
    }
    const ghost = "01900000-0000-7000-8000-000000000000";
    expect((await admin.get(`/v1/admin/users/${ghost}`)).status).toBe(404);
    expect((await admin.post(`/v1/admin/users/${ghost}/suspend`, {})).status).toBe(404);
    expect((await admin.del(`/v1/admin/users/${ghost}`)).status).toBe(404);
    const u = await h.user();
    expect((await admin.patch(`/v1/admin/users/${u.info.id}`, { role: "root" })).status).toBe(400);
    expect((await admin.post(`/v1/admin/users/${u.info.id}/suspend`, { reason: 5 })).status).toBe(400);
  });

  test("suspension stops sign-in, sessions and API keys at once; unsuspending lets the user sign in again", async () => {
    const u = await h.user();
    const key = (await u.post("/v1/api-keys", { name: "k", scopes: ["entries:read"] })).body.key;
    const k = u.withToken(key);
    expect((await k.get("/v1/entries")).status).toBe(200); // the key's lookup is now cached
    const res = await admin.post(`/v1/admin/users/${u.info.id}/suspend`, { reason: "spam" });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "suspended" });
    expect((await u.get("/v1/entries")).status).toBe(401);
    expect((await k.get("/v1/entries")).status).toBe(401);
    expect((await h.anon.post("/v1/auth/refresh", { refreshToken: u.info.refreshToken })).status).toBe(401);
    const refused = await login(u);
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toContain("suspended");
    expect((await admin.post(`/v1/admin/users/${u.info.id}/suspend`, {})).status).toBe(409);
    expect((await admin.post(`/v1/admin/users/${u.info.id}/unsuspend`, {})).status).toBe(200);
    expect((await admin.post(`/v1/admin/users/${u.info.id}/unsuspend`, {})).status).toBe(409);
    const back = await login(u);
    expect(back.status).toBe(200);
    expect((await k.get("/v1/entries")).status).toBe(200);
    const events = (await u.withToken(back.body.accessToken).get("/v1/me/audit")).body.items;
    const suspendedEvent = events.find((e: { action: string }) => e.action === "admin.user_suspended");
    expect(suspendedEvent).toMatchObject({ actorId: admin.info.id, targetId: u.info.id, metadata: { reason: "spam" } });
    expect(events.map((e: { action: string }) => e.action)).toContain("admin.user_unsuspended");
  });

  test("a suspension racing sign-ins leaves no working token behind", async () => {
    const u = await h.user();
    // Four: five attempts in flight at once would meet the per-account login lockout.
    const logins = Array.from({ length: 4 }, () => login(u));
    const suspend = admin.post(`/v1/admin/users/${u.info.id}/suspend`, {});
    const [results, s] = await Promise.all([Promise.all(logins), suspend]);
    expect(s.status).toBe(200);
    for (const r of results) {
      expect([200, 401, 403]).toContain(r.status);
      if (r.status === 200) expect((await u.withToken(r.body.accessToken).get("/v1/entries")).status).toBe(401);
    }
  });

  test("deleting an account ends its sessions and sign-in; an admin cannot suspend, delete or demote themselves", async () => {
    const u = await h.user();
    const res = await admin.del(`/v1/admin/users/${u.info.id}`);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("deleted");
    expect((await u.get("/v1/entries")).status).toBe(401);
    expect((await login(u)).status).toBe(401);
    expect((await admin.del(`/v1/admin/users/${u.info.id}`)).status).toBe(409);
    expect((await admin.post(`/v1/admin/users/${admin.info.id}/suspend`, {})).status).toBe(409);
    expect((await admin.del(`/v1/admin/users/${admin.info.id}`)).status).toBe(409);
    expect((await admin.patch(`/v1/admin/users/${admin.info.id}`, { role: "user" })).status).toBe(409);
    expect((await admin.get("/v1/admin/status")).status).toBe(200);
  });

  test("an admin can make another admin, and take it away again", async () => {
    const u = await h.user();
    expect((await admin.patch(`/v1/admin/users/${u.info.id}`, { role: "admin" })).body.role).toBe("admin");
    expect((await u.get("/v1/admin/users")).status).toBe(200);
    expect((await admin.patch(`/v1/admin/users/${u.info.id}`, { role: "user" })).body.role).toBe("user");
    expect((await u.get("/v1/admin/users")).status).toBe(403);
  });

  test("system status counts accounts and reports dependencies; admin actions are audited", async () => {
    const res = await admin.get("/v1/admin/status");
    expect(res.status).toBe(200);
    expect(res.body.users.admins).toBeGreaterThanOrEqual(1);
    expect(res.body.users.total).toBeGreaterThanOrEqual(res.body.users.active + res.body.users.suspended);
    expect(res.body.database).toMatchObject({ status: "ok", driver: "postgres" });
    expect(res.body.cache).toMatchObject({ status: "ok", kind: "redis" });
    const mine = (await admin.get("/v1/me/audit?limit=100")).body.items.map((e: { action: string }) => e.action);
    for (const a of ["admin.status_viewed", "admin.users_listed", "admin.user_suspended", "admin.user_deleted", "admin.role_changed"])
      expect(mine).toContain(a);
  });
});
