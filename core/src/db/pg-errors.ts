/**
 * True when a statement failed on a unique index (SQLSTATE 23505). Drizzle wraps driver errors
 * (postgres.js, PGlite) in its own, so the code may sit a few `cause`s down.
 */
export function isUniqueViolation(err: unknown): boolean {
  return hasCode(err, "23505");
}

function hasCode(err: unknown, code: string): boolean {
  let e = err;
  for (let depth = 0; depth < 5 && e && typeof e === "object"; depth++) {
    if ((e as { code?: unknown }).code === code) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** True when a statement failed on a foreign key (SQLSTATE 23503), e.g. a row purged concurrently. */
export function isForeignKeyViolation(err: unknown): boolean {
  return hasCode(err, "23503");
}
