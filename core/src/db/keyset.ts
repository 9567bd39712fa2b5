import { type SQL, sql } from "drizzle-orm";
import type { AnyPgColumn } from "drizzle-orm/pg-core";
import { AppError } from "../errors";
import { type Cursor, decodeCursor } from "../lib/cursor";
import { isCursorTimestamp } from "../lib/timestamps";

// Checked here because a cursor's id is cast with ::uuid, and a failed cast would be a 500.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const invalidCursor = () =>
  new AppError("VALIDATION_FAILED", "Invalid cursor", [{ path: "cursor", message: "not a cursor from this API" }]);

/** Decodes a cursor whose sort value passes `valid`; anything else is the client's mistake, a 400. */
export function readCursor(raw: string, valid: (v: string) => boolean): Cursor {
  const cur = decodeCursor(raw);
  if (!cur || !UUID.test(cur.id) || !valid(cur.v)) throw invalidCursor();
  return cur;
}

/** A timestamp as a cursor keeps it: ISO 8601 in UTC with Postgres's full microseconds (JS Dates stop at millis). */
export const timestampCursorValue = (col: AnyPgColumn) => sql<string>`to_char(${col} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** Keyset condition after the cursor on (timestamp column, id); compared at full microsecond precision. */
export function afterTimestamp(raw: string | undefined, col: AnyPgColumn, idCol: AnyPgColumn, order: "asc" | "desc"): SQL | undefined {
  if (!raw) return undefined;
  const cur = readCursor(raw, isCursorTimestamp);
  return order === "desc"
    ? sql`(${col}, ${idCol}) < (${cur.v}::timestamptz, ${cur.id}::uuid)`
    : sql`(${col}, ${idCol}) > (${cur.v}::timestamptz, ${cur.id}::uuid)`;
}
