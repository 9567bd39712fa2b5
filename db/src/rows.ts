/** Rows of a raw `db.execute(sql…)`: postgres.js returns an array, PGlite a `{ rows }` object. */
export function rowsOf<T>(result: unknown): T[] {
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}
