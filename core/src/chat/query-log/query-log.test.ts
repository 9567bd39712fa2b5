import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createPgliteDatabase, migrate, rowsOf } from "@tcc/db";
import { waitForRedis } from "@tcc/shared/runtime";
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { type Client, createHarness, type Harness, serviceEnv, waitUntil } from "../../../test/harness";
import type { Ctx } from "../../context";
import { connectRedis } from "../../lib/redis-kv";
import { describeSchema, MAX_RESULT_CHARS, MAX_ROW_CHARS, queryLog } from "./query-log";
import { runSandboxed } from "./sandbox";

let h: Harness;
let a: Client;
let b: Client;
let ctxA: Ctx;
// A connection of our own, outside core's pools, to look at the database as an operator would.
const admin = postgres(serviceEnv().DATABASE_URL as string, { max: 1, onnotice: () => {} });

beforeAll(async () => {
  h = await createHarness({ QUERY_LOG_TIMEOUT_MS: "1000", QUERY_LOG_MAX_ROWS: "50" });
  a = await h.user("a");
  b = await h.user("b");
  ctxA = { userId: a.info.id, s: h.services };
  for (const title of ["Run 5k", "Run 10k", "Bought shoes"]) await a.post("/v1/entries", { title, tags: ["running"] });
  await b.post("/v1/entries", { title: "B secret run", content: "only B may see this", tags: ["secret"] });
});
afterAll(async () => {
  await admin.end();
  await h.close();
});

const ask = (text: string) => queryLog({ ctx: ctxA, input: { sql: text } });
const parsed = (text: string) => JSON.parse(text) as { rows: unknown[]; rowCount: number; truncated: boolean };
const entryCount = async () => Number((await admin`select count(*)::int as n from entries`)[0]?.n);

describe("query_log", () => {
  test("answers a question over the caller's own rows", async () => {
    const res = await ask("select count(*) as runs from entries where title ilike 'run%';");
    expect(res.ok).toBe(true);
    expect(parsed(res.text)).toEqual({ rowCount: 1, truncated: false, rows: [{ runs: 2 }] });
    const joined = await ask(
      "-- tags per entry\nwith t as (select et.entry_id, tg.name from entry_tags et join tags tg on tg.id = et.tag_id) select name, count(*) from t group by name",
    );
    expect(parsed(joined.text).rows).toEqual([{ name: "running", count: 3 }]);
    // Rows are the database's own JSON: columns of the same name both reach the model.
    expect((await ask("select 1 as a, 2 as a")).text).toContain('{"a":1,"a":2}');
  });

  test("another user's rows are invisible, whatever the query asks for", async () => {
    const all = parsed((await ask("select title from entries order by title")).text);
    expect(all.rows).toEqual([{ title: "Bought shoes" }, { title: "Run 10k" }, { title: "Run 5k" }]);
    const byId = parsed((await ask(`select count(*) from entries where user_id = '${b.info.id}'`)).text);
    expect(byId.rows).toEqual([{ count: 0 }]);
    const tags = parsed((await ask("select name from tags")).text);
    expect(tags.rows).toEqual([{ name: "running" }]);
  });

  test("it cannot write: DML, DDL, data-modifying CTEs, locking reads", async () => {
    const before = await entryCount();
    for (const q of [
      "DELETE FROM entries",
      "UPDATE entries SET title = 'x'",
      `INSERT INTO tags (id, user_id, name) VALUES (gen_random_uuid(), '${a.info.id}', 'x')`,
      "DROP TABLE entries",
      "TRUNCATE entries",
      "with gone as (delete from entries returning *) select count(*) from gone",
      "select * from entries for update",
      "select 1) q; delete from entries; select (1",
      "SELECT 1; DROP TABLE entries",
      "select 1; select 2",
      "select nextval('audit_log_id_seq')",
    ]) {
      const res = await ask(q);
      expect(res.ok, q).toBe(false);
      expect(res.text, q).toStartWith("Error: ");
    }
    expect(await entryCount()).toBe(before);
    expect((await admin`select to_regclass('public.entries') as t`)[0]?.t).toBe("entries");
  });

  test("it cannot change role, session or the pinned user, and so cannot escalate", async () => {
    for (const q of [
      "SET ROLE postgres",
      "RESET ROLE",
      "SET SESSION AUTHORIZATION postgres",
      "select 1) q; reset role; select (1",
      "select set_config('role', 'postgres', true)",
      "select set_config('role', 'postgres', true), (select count(*) from users)",
      "select set_config('session_authorization', 'postgres', true)",
      `select set_config('tcc.query_user', '${b.info.id}', false)`,
      // The between-rows switch: RLS would read the setting again for the next row.
      `select title from entries where pg_catalog.set_config('tcc.query_user', '${b.info.id}', true) is not null`,
      `select query_to_xml('select set_config(''tcc.query_user'', ''${b.info.id}'', true)', true, false, '')`,
      "select set_config('statement_timeout', '0', true)",
    ]) {
      const res = await ask(q);
      expect(res.ok, q).toBe(false);
    }
    const who = parsed((await ask("select current_user::text as u, current_setting('tcc.query_user') as pinned")).text);
    expect(who.rows).toEqual([{ u: "tcc_query_log", pinned: a.info.id }]);
  });

  test("accounts, keys, audit, embeddings, conversations and gallery passwords are out of reach", async () => {
    for (const table of [
      "users",
      "api_keys",
      "refresh_tokens",
      "audit_log",
      "document_embeddings",
      "conversations",
      "messages",
      "user_consent",
    ]) {
      const res = await ask(`select * from ${table}`);
      expect(res.ok, table).toBe(false);
      expect(res.text, table).toContain("permission denied");
    }
    expect((await ask("select password_hash from galleries")).text).toContain("permission denied");
    expect((await ask("select title, slug from galleries")).ok).toBe(true);
    expect((await ask("select query_to_xml('select email from users', true, false, '')")).text).toContain("permission denied");
    expect((await ask("select pg_read_file('/etc/passwd')")).text).toContain("permission denied");
    expect((await ask("select * from pg_ls_dir('.')")).text).toContain("permission denied");
  });

  test("COPY and other non-queries are refused before they reach the database", async () => {
    for (const q of ["COPY entries TO STDOUT", "copy (select 1) to program 'id'", "EXPLAIN ANALYZE DELETE FROM entries", "", "  ;  "]) {
      const res = await ask(q);
      expect(res.ok, q).toBe(false);
    }
  });

  test("a slow query is cancelled at the timeout", async () => {
    const started = Date.now();
    const res = await ask("select pg_sleep(10)");
    expect(res.ok).toBe(false);
    expect(res.text).toContain("time limit");
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  test("a huge result is cut to the row limit and the size cap", async () => {
    const many = parsed((await ask("select g from generate_series(1, 100000) g")).text);
    expect(many.rowCount).toBe(50);
    expect(many.truncated).toBe(true);
    const wide = await ask("select repeat('x', 900) || g as w from generate_series(1, 40) g");
    expect(wide.text.length).toBeLessThan(MAX_RESULT_CHARS + 200);
    expect(parsed(wide.text).truncated).toBe(true);
    // A 4 MB value is cut by the database: core receives about a kilobyte of it. (Bigger values
    // only test how fast the box builds strings: 20 MB ran into the 1 s limit on a loaded machine.)
    const huge = await ask("select repeat('x', 4000000) as big");
    expect(huge.ok, huge.text).toBe(true);
    const [cut] = parsed(huge.text).rows as string[];
    expect(cut).toStartWith('{"big":"xxx');
    expect(cut?.length).toBe(MAX_ROW_CHARS + 1);
  });

  test("advisory locks and settings do not outlive the query on core's connections", async () => {
    expect((await ask("select pg_advisory_lock(4242)")).ok).toBe(true);
    const held = await admin`select count(*)::int as n from pg_locks where locktype = 'advisory' and objid = 4242`;
    expect(held[0]?.n).toBe(0);
    // Every pooled connection is back to core's own role.
    const roles = await Promise.all(
      Array.from(
        { length: 5 },
        async () => rowsOf<{ u: string }>(await h.services.db.primary.execute(sql`select current_user::text as u`))[0]?.u,
      ),
    );
    expect(new Set(roles)).toEqual(new Set(["postgres"]));
  });

  test("runs the same way on a streaming replica", async () => {
    const { db } = h.services;
    expect(await waitUntil(() => db.replicas().some((r) => r.healthy))).toBe(true);
    const handle = db.read(); // no user: a healthy replica
    const rows = await runSandboxed(db, handle, a.info.id, "select current_user::text as u, pg_is_in_recovery() as standby", {
      timeoutMs: 1_000,
      maxRows: 5,
      maxRowChars: 1_000,
    });
    expect(rows.map((r) => JSON.parse(r))).toEqual([{ u: "tcc_query_log", standby: true }]);
    await expect(
      runSandboxed(db, handle, a.info.id, "select pg_sleep(5)", { timeoutMs: 300, maxRows: 1, maxRowChars: 100 }),
    ).rejects.toThrow(/statement timeout/);
  });

  test("the schema shown to the model lists what the role can read, and is cached for two hours", async () => {
    const redis = connectRedis(serviceEnv().REDIS_URL as string);
    expect(await waitForRedis(redis)).toBe(true);
    try {
      await redis.del("tcc:query-log:schema:v1");
      const text = await describeSchema({ ctx: ctxA });
      expect(text).toContain("entries(id uuid, user_id uuid, title text");
      expect(text).toMatch(/^galleries\(/m);
      expect(text).not.toContain("password_hash");
      for (const hidden of ["users(", "api_keys(", "messages(", "document_embeddings("]) expect(text).not.toContain(hidden);
      const ttl = await redis.pttl("tcc:query-log:schema:v1");
      expect(ttl).toBeGreaterThan(7_100_000);
      expect(ttl).toBeLessThanOrEqual(7_200_000);
    } finally {
      redis.disconnect();
    }
  });
});

describe("query_log on the embedded database (PGlite)", () => {
  test("the migration's role, grants and policies apply there, and query_log refuses plainly", async () => {
    const db = await createPgliteDatabase(undefined);
    try {
      await migrate(db);
      const [row] = rowsOf<{ rls: boolean; revoked: boolean }>(
        await db.primary.execute(sql`select (select relrowsecurity from pg_class where relname = 'entries') as rls,
            not has_function_privilege('tcc_query_log', 'pg_catalog.set_config(text, text, boolean)', 'EXECUTE') as revoked`),
      );
      expect(row).toEqual({ rls: true, revoked: true });
      const res = await queryLog({ ctx: { userId: a.info.id, s: { ...h.services, db } }, input: { sql: "select count(*) from entries" } });
      expect(res).toEqual({ ok: false, text: expect.stringContaining("unavailable on the embedded database") });
    } finally {
      await db.close();
    }
  }, 120_000);
});
