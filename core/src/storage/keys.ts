import { AppError } from "../errors";
import { type ByteRange, InvalidKeyError, RangeNotSatisfiableError } from "./types";

const MAX_KEY_BYTES = 1024; // S3's own limit; the filesystem driver keeps the same rule so keys stay portable.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Both drivers accept exactly the same keys, so data can move between them. Segments starting with
 * "." are refused: that rules out "." and "..", and keeps the filesystem driver's `.tmp` out of reach.
 */
export function validateKey(key: string): string {
  if (typeof key !== "string" || key.length === 0) throw new InvalidKeyError("empty");
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw new InvalidKeyError("too long");
  if (CONTROL.test(key)) throw new InvalidKeyError("control character");
  if (key.includes("\\")) throw new InvalidKeyError("backslash");
  for (const segment of key.split("/")) {
    if (segment === "") throw new InvalidKeyError("empty segment or absolute path");
    if (segment.startsWith(".")) throw new InvalidKeyError("segment starting with a dot");
  }
  return key;
}

/** A listing prefix: empty (everything), a key, or a key's beginning; held to the rules of keys. */
export function validatePrefix(prefix: string): string {
  if (prefix !== "") validateKey(prefix.endsWith("/") ? prefix.slice(0, -1) : prefix);
  return prefix;
}

/** S3 lists keys in the order of their UTF-8 bytes. */
export const keyOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** Checks a range against the object's size and returns it with `end` clamped (inclusive). */
export function resolveRange(range: ByteRange, size: number): { start: number; end: number } {
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || start < 0 || (end !== undefined && (!Number.isSafeInteger(end) || end < start))) {
    throw new AppError("BAD_REQUEST", "Invalid byte range");
  }
  if (start >= size) throw new RangeNotSatisfiableError(size);
  return { start, end: Math.min(end ?? size - 1, size - 1) };
}
