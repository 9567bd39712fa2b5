/**
 * Opaque keyset cursors: the sort value and id of the last row seen, base64url JSON.
 * Keyset (not offset) pagination stays stable while rows are inserted concurrently.
 */
export interface Cursor {
  /** The sort column's value of the last row (ISO date or string). */
  v: string;
  /** The last row's id, the tie-breaker. */
  id: string;
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.v, c.id])).toString("base64url");
}

/** Returns null for anything that is not a cursor we made. */
export function decodeCursor(raw: string): Cursor | null {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(raw, "base64url").toString("utf8"));
    if (!Array.isArray(parsed) || parsed.length !== 2) return null;
    const [v, id] = parsed;
    if (typeof v !== "string" || typeof id !== "string") return null;
    return { v, id };
  } catch {
    return null;
  }
}
