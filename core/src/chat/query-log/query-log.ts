import type { Database } from "@tcc/db";
import { rowsOf } from "@tcc/db";
import { sql } from "drizzle-orm";
import type { Call, Ctx } from "../../context";
import { QUERY_ROLE, runSandboxed, SandboxRefusal } from "./sandbox";

/** What query_log hands back to the model: text, since that is what a tool result is. */
export interface QueryLogOutcome {
  ok: boolean;
  text: string;
}

const MAX_SQL_CHARS = 4_000;
/** The whole result as the model sees it; past this, rows are dropped and `truncated` says so. */
export const MAX_RESULT_CHARS = 8_000;
/** One row as the model sees it; a longer row is cut and shown as a string. */
export const MAX_ROW_CHARS = 1_000;
const SCHEMA_KEY = "tcc:query-log:schema:v1";
const SCHEMA_TTL_S = 2 * 3600;

/**
 * A first glance only: it turns away what is plainly not a query with a message the model
 * can act on. Safety comes from the role, RLS and the read-only transaction, not from this.
 */
export function prescreen(raw: string): string {
  const body = raw.trim().replace(/[;\s]+$/, "");
  if (!body) throw new SandboxRefusal("Empty SQL: send one SELECT statement.");
  if (body.length > MAX_SQL_CHARS) throw new SandboxRefusal(`SQL longer than ${MAX_SQL_CHARS} characters.`);
  // Leading comments are skipped so that "-- count runs\nSELECT …" still passes.
  const first = body
    .replace(/^(\s*(--[^\n]*(\n|$)|\/\*[\s\S]*?\*\/))*\s*/, "")
    .match(/^[a-z]+/i)?.[0]
    ?.toLowerCase();
  if (first !== "select" && first !== "with")
    throw new SandboxRefusal("Only one read-only SELECT (or WITH … SELECT) statement is allowed.");
  return body;
}

// Per database handle: the check is a catalog read, worth doing once per process.
const verified = new WeakMap<Database, Promise<void>>();

/**
 * The protection query_log relies on is in place: the role exists and cannot call
 * set_config (a non-superuser migration could not revoke it). Otherwise refuse, loudly.
 */
function ensureProtected(ctx: Ctx): Promise<void> {
  const db = ctx.s.db;
  let check = verified.get(db);
  if (!check) {
    check = (async () => {
      const [row] = rowsOf<{ ok: boolean | null }>(
        await db.primary.execute(sql`select case when exists (select 1 from pg_roles where rolname = ${QUERY_ROLE})
          then not has_function_privilege(${QUERY_ROLE}, 'pg_catalog.set_config(text, text, boolean)', 'EXECUTE') end as ok`),
      );
      if (!row?.ok) {
        throw new SandboxRefusal(
          "query_log is disabled: the database lacks the tcc_query_log role or lets it call set_config (run the migrations as a superuser).",
        );
      }
    })();
    // A failed check is retried next time (the operator may fix the database meanwhile).
    check.catch(() => verified.delete(db));
    verified.set(db, check);
  }
  return check;
}

function run(ctx: Ctx, body: string, maxRows: number): Promise<string[]> {
  const { env } = ctx.s;
  return runSandboxed(ctx.s.db, ctx.s.db.read(ctx.userId), ctx.userId, body, {
    timeoutMs: env.QUERY_LOG_TIMEOUT_MS,
    maxRows,
    maxRowChars: MAX_ROW_CHARS,
  });
}

/** Rows as the database's JSON objects (a cut one as a string), as many as fit in MAX_RESULT_CHARS. */
export function formatResult(rows: string[], maxRows: number): string {
  let truncated = rows.length > maxRows;
  const shown: string[] = [];
  let size = 0;
  for (const row of rows.slice(0, maxRows)) {
    const line = row.length > MAX_ROW_CHARS ? JSON.stringify(`${row.slice(0, MAX_ROW_CHARS)}…`) : row;
    if (size + line.length > MAX_RESULT_CHARS) {
      truncated = true;
      break;
    }
    shown.push(line);
    size += line.length + 1;
  }
  return `{"rowCount":${shown.length},"truncated":${truncated},"rows":[${shown.join(",")}]}`;
}

const message = (err: unknown) => {
  const e = err as { message?: string; code?: string };
  if (e.code === "57014") return "The query ran past its time limit and was cancelled; make it cheaper.";
  return e.message ?? String(err);
};

/** Runs model-written SQL for the caller; errors come back as text for the model, never thrown. */
export async function queryLog({ ctx, input: { sql: rawSql } }: Call<{ sql: string }>): Promise<QueryLogOutcome> {
  try {
    const body = prescreen(rawSql);
    await ensureProtected(ctx);
    const max = ctx.s.env.QUERY_LOG_MAX_ROWS;
    return { ok: true, text: formatResult(await run(ctx, body, max + 1), max) };
  } catch (err) {
    // Postgres errors (syntax, permission, timeout) are the model's to fix; anything else is ours to see too.
    if (!(err instanceof SandboxRefusal) && !(err as { severity?: unknown }).severity) ctx.s.logger.warn({ err }, "query_log failed");
    return { ok: false, text: `Error: ${message(err)}` };
  }
}

/**
 * The tables and columns query_log may read, as the model is told them: read from
 * information_schema as the query role itself, so it lists exactly what that role can see.
 */
export async function describeSchema({ ctx }: Call): Promise<string> {
  const cached = await ctx.s.kv.get(SCHEMA_KEY);
  if (cached) return cached;
  await ensureProtected(ctx);
  const rows = await run(
    ctx,
    `SELECT table_name || '(' || string_agg(column_name || ' ' || data_type, ', ' ORDER BY ordinal_position) || ')' AS t
       FROM information_schema.columns WHERE table_schema = 'public' GROUP BY table_name ORDER BY table_name`,
    1000,
  );
  const text = rows.map((r) => (JSON.parse(r) as { t: string }).t).join("\n");
  await ctx.s.kv.set(SCHEMA_KEY, text, SCHEMA_TTL_S);
  return text;
}
