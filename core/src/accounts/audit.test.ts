import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rowsOf } from "@tcc/db";
import { sql } from "drizzle-orm";
import { createHarness, type Harness } from "../../test/harness";
import { anonymiseAuditForUser, audit } from "./audit";

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ TRUST_PROXY: "true" });
});
afterAll(() => h.close());

const ua = { "user-agent": "AuditTest/2.0", "x-forwarded-for": "203.0.113.50" };

describe("audit log", () => {
  test("a user reads their own security events, newest first, with address and user agent", async () => {
    const u = await h.user();
    expect((await h.anon.post("/v1/auth/login", { email: u.info.email, password: "wrong password" }, ua)).status).toBe(401);
    const login = await h.anon.post("/v1/auth/login", { email: u.info.email, password: u.info.password }, ua);
    const key = await u.post("/v1/api-keys", { name: "k", scopes: ["entries:read"] }, ua);
    await u.request("DELETE", `/v1/api-keys/${key.body.id}`, undefined, ua);
    const sessionId = JSON.parse(Buffer.from(login.body.accessToken.split(".")[1], "base64url").toString()).sid;
    await u.request("DELETE", `/v1/me/sessions/${sessionId}`, undefined, ua);
    const res = await u.get("/v1/me/audit");
    expect(res.status).toBe(200);
    const actions = res.body.items.map((e: { action: string }) => e.action);
    expect(actions).toEqual(["session.revoked", "api_key.revoked", "api_key.created", "auth.login", "auth.login_failed", "auth.register"]);
    const failed = res.body.items.find((e: { action: string }) => e.action === "auth.login_failed");
    expect(failed).toMatchObject({ ip: "203.0.113.50", userAgent: "AuditTest/2.0", actorId: u.info.id });
    expect(res.body.items[0]).toMatchObject({ targetType: "session", targetId: sessionId });
  });

  test("pages with a cursor, without repeats or gaps", async () => {
    const u = await h.user();
    for (let i = 0; i < 4; i++) await h.anon.post("/v1/auth/login", { email: u.info.email, password: u.info.password });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { status: number; body: { items: { id: string }[]; nextCursor: string | null } } = await u.get(
        `/v1/me/audit?limit=2${cursor ? `&cursor=${cursor}` : ""}`,
      );
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.items.map((e) => e.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(5); // register + 4 logins
    expect(new Set(seen).size).toBe(5);
  });

  test("bad limits and cursors are 400", async () => {
    const u = await h.user();
    expect((await u.get("/v1/me/audit?limit=0")).status).toBe(400);
    expect((await u.get("/v1/me/audit?limit=101")).status).toBe(400);
    for (const cursor of ["abc", "-1", "1".repeat(19)]) {
      const res = await u.get(`/v1/me/audit?cursor=${cursor}`);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe("VALIDATION_FAILED"); // as every other list's bad cursor
    }
  });

  test("another user's events are not in your log", async () => {
    const a = await h.user();
    const b = await h.user();
    const bIds = new Set((await b.get("/v1/me/audit")).body.items.map((e: { id: string }) => e.id));
    const aEvents = (await a.get("/v1/me/audit")).body.items;
    expect(aEvents.length).toBeGreaterThan(0);
    for (const e of aEvents) expect(bIds.has(e.id)).toBe(false);
  });

  test("nothing in the log is editable through the API", async () => {
    const u = await h.user();
    const [event] = (await u.get("/v1/me/audit")).body.items;
    for (const res of [
      await u.del(`/v1/me/audit/${event.id}`),
      await u.patch(`/v1/me/audit/${event.id}`, { action: "x" }),
      await u.del("/v1/me/audit"),
      await u.post("/v1/me/audit", { action: "auth.login" }),
    ])
      expect([404, 405]).toContain(res.status);
    expect((await u.get("/v1/me/audit")).body.items[0]).toEqual(event);
  });

  test("the table refuses UPDATE, DELETE and TRUNCATE, even from the database's owner", async () => {
    const u = await h.user();
    const db = h.services.db.primary;
    const attempts = [
      sql`update audit_log set action = 'tampered' where user_id = ${u.info.id}`,
      sql`update audit_log set user_id = null where user_id = ${u.info.id}`,
      sql`delete from audit_log where user_id = ${u.info.id}`,
      sql`truncate audit_log`,
    ];
    for (const q of attempts) {
      const refused = await db.execute(q).then(
        () => null,
        (err: Error) => err,
      );
      expect(String(refused?.cause ?? refused)).toContain("append-only");
    }
    const rows = rowsOf<{ action: string }>(await db.execute(sql`select action from audit_log where user_id = ${u.info.id}`));
    expect(rows.map((r) => r.action)).toEqual(["auth.register"]);
  });

  test("anonymising strips a user's identity, address and metadata and keeps the events", async () => {
    const a = await h.user();
    const b = await h.user();
    const ctx = { s: h.services };
    await audit({
      ctx,
      input: {
        userId: b.info.id,
        actorId: a.info.id,
        action: "admin.user_suspended",
        targetType: "user",
        targetId: b.info.id,
        ip: "192.0.2.9",
      },
    });
    await audit({ ctx, input: { userId: a.info.id, action: "mfa.enabled", ip: "192.0.2.10", userAgent: "x", metadata: { k: 1 } } });
    const n = await h.services.db.primary.transaction((tx) => anonymiseAuditForUser(tx, a.info.id));
    expect(n).toBe(3); // a's register, a's mfa.enabled, and the action a took on b
    const db = h.services.db.primary;
    const left = rowsOf<{ n: number }>(
      await db.execute(
        sql`select count(*)::int as n from audit_log where user_id = ${a.info.id} or actor_id = ${a.info.id} or target_id = ${a.info.id}`,
      ),
    );
    expect(left[0]?.n).toBe(0);
    const kept = rowsOf<{ action: string; ip: string | null; user_id: string | null; metadata: unknown }>(
      await db.execute(
        sql`select action, ip, user_id, metadata from audit_log where action = 'mfa.enabled' and ip is null and user_id is null order by id desc limit 1`,
      ),
    );
    expect(kept[0]).toMatchObject({ action: "mfa.enabled", ip: null, user_id: null, metadata: null });
    // b's own view still shows what happened to them, minus who did it.
    const bEvents = (await b.get("/v1/me/audit")).body.items;
    expect(bEvents[0]).toMatchObject({ action: "admin.user_suspended", actorId: null, targetId: b.info.id, ip: null });
  });
});
