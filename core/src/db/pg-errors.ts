/**
 * True when a statement failed on a unique index (SQLSTATE 23505). Drizzle wraps driver errors
 * (postgres.js, PGlite) in its own, so the code may sit a few `cause`s down.
 */
export function isUniqueViolation(err: unknown): boolean {
  return hasCode(err, "23505");
}

function hasCode(err: unknown, code: string): boolean {
  return withCode(err, code) !== undefined;
}

/** The error itself or the `cause` that carries SQLSTATE `code`. */
function withCode(err: unknown, code: string): Record<string, unknown> | undefined {
  let e = err;
  for (let depth = 0; depth < 5 && e && typeof e === "object"; depth++) {
    if ((e as { code?: unknown }).code === code) return e as Record<string, unknown>;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** True when a statement failed on a foreign key (SQLSTATE 23503), e.g. a row purged concurrently. */
export function isForeignKeyViolation(err: unknown): boolean {
  return hasCode(err, "23503");
}

/** The name of the foreign key a statement failed on (postgres.js `constraint_name`, PGlite `constraint`), if it did. */
export function violatedForeignKey(err: unknown): string | undefined {
  const e = withCode(err, "23503");
  if (!e) return undefined;
  return String(e.constraint_name ?? e.constraint ?? "");
}
