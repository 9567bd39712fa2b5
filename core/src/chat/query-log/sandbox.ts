import type { Database, Drizzle } from "@tcc/db";

/**
 * Runs one model-written statement as the tcc_query_log role (migration 0003): a read-only
 * transaction, a statement timeout, and row-level security pinned to one user. The SQL text
 * is never trusted: these database-side limits are what keep it safe.
 */

export const QUERY_ROLE = "tcc_query_log";

export interface SandboxLimits {
  timeoutMs: number;
  /** Rows fetched at most; the caller asks for one more than it shows to know it truncated. */
  maxRows: number;
  /** Each row's JSON is cut to this many characters by the database, before it is sent. */
  maxRowChars: number;
}

/** Refused before reaching the database, with a message meant for the model. */
export class SandboxRefusal extends Error {}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// SET takes no parameters, so the values are validated literals.
function preamble(userId: string, timeoutMs: number): string[] {
  if (!UUID.test(userId)) throw new Error("query_log: user id is not a uuid");
  return [
    `SET LOCAL statement_timeout = ${Math.max(1, Math.trunc(timeoutMs))}`,
    `SET LOCAL tcc.query_user = '${userId}'`,
    // Last: from here on the session can no longer change settings (set_config is revoked).
    `SET LOCAL ROLE ${QUERY_ROLE}`,
  ];
}

/**
 * The statement as a subquery: anything but one query (a second statement, DML, DDL, SET,
 * COPY) is a syntax error, and the limits are bound parameters, which also forces the
 * extended protocol (one statement per message). Each row leaves the database as JSON cut
 * to a size, so `repeat('x', 500000000)` never reaches core's memory. Newlines keep a
 * trailing `--` comment from swallowing the closing parenthesis.
 */
const wrap = (body: string) => `SELECT left(row_to_json(query_log)::text, $2) AS row FROM (\n${body}\n) AS query_log LIMIT $1`;

interface PgConn {
  unsafe(query: string, params?: unknown[], options?: { prepare?: boolean }): Promise<{ row: string }[]>;
  release(): void;
}
interface PgPool {
  reserve(): Promise<PgConn>;
}

// Drizzle keeps the driver's client on $client; the sandbox needs it for what Drizzle does
// not offer: an unprepared statement on a connection held for the cleanup after it.
const clientOf = <T>(handle: Drizzle) => (handle as unknown as { $client: T }).$client;

/** Each row as JSON text, at most limits.maxRowChars + 1 characters (longer means it was cut). */
async function runPostgres(handle: Drizzle, userId: string, body: string, limits: SandboxLimits): Promise<string[]> {
  const conn = await clientOf<PgPool>(handle).reserve();
  try {
    await conn.unsafe("BEGIN READ ONLY");
    try {
      for (const stmt of preamble(userId, limits.timeoutMs)) await conn.unsafe(stmt);
      // Unprepared: model-written texts must not pile up as prepared statements on the pool.
      const res = await conn.unsafe(wrap(body), [limits.maxRows, limits.maxRowChars + 1], { prepare: false });
      return res.map((r) => r.row);
    } finally {
      // Session-level advisory locks outlive the transaction; take back any the query took
      // before the connection returns to the pool. (Multi-statement: the simple protocol.)
      await conn.unsafe("ROLLBACK; SELECT pg_advisory_unlock_all()");
    }
  } finally {
    conn.release();
  }
}

/**
 * PGlite runs inside core's own process and cannot time a statement out (no signals in
 * WASM: pg_sleep and endless queries run to the end and block every request). Without a
 * timeout query_log does not run at all there.
 */
async function refusePglite(): Promise<never> {
  throw new SandboxRefusal(
    "query_log is unavailable on the embedded database: it cannot stop a runaway query. Use search_entries, get_entry and list_tags instead.",
  );
}

export async function runSandboxed(db: Database, handle: Drizzle, userId: string, body: string, limits: SandboxLimits): Promise<string[]> {
  if (db.driver === "pglite") return refusePglite();
  return runPostgres(handle, userId, body, limits);
}
