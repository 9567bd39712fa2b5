/**
 * The instants the API accepts and stores: years 100 to 9999 in UTC. Postgres refuses year 0
 * (JavaScript's 1 BC) and JavaScript stops at year 275760, so outside this range a value could
 * parse on one side and fail on the other (a 500) or print as an expanded "+010000" year that
 * no cursor reads back.
 */
export const MIN_INSTANT_MS = Date.UTC(100, 0, 1);
export const MAX_INSTANT_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

export const inInstantRange = (ms: number) => Number.isFinite(ms) && ms >= MIN_INSTANT_MS && ms <= MAX_INSTANT_MS;

const ISO_MICROS = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.\d{6}Z$/;

/**
 * A timestamp as a cursor keeps it (UTC, microseconds; see db/keyset.ts) that Postgres will
 * accept: a real calendar date and time, year 1 to 9999 (older rows may predate the input range).
 */
export function isCursorTimestamp(v: string): boolean {
  const m = ISO_MICROS.exec(v);
  if (!m) return false;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  if (y < 1 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return false;
  const date = new Date(Date.UTC(2000, mo - 1, d));
  date.setUTCFullYear(y); // Date.UTC maps years 0-99 to 1900-1999
  return date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}
