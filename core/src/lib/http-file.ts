import type { ByteRange } from "../storage";

/**
 * A `Range` header against an object of `size` bytes: a single range, or "unsatisfiable" (416).
 * Anything we do not serve as a range (absent, malformed, several ranges) is null: RFC 9110 lets a
 * server ignore Range and send the whole representation.
 */
export function parseRange(header: string | undefined, size: number): Required<ByteRange> | "unsatisfiable" | null {
  const m = header ? /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header) : null;
  if (!m) return null;
  const [, a = "", b = ""] = m;
  if (a === "" && b === "") return null;
  const first = a === "" ? undefined : Number(a);
  const last = b === "" ? undefined : Number(b);
  if ((first !== undefined && !Number.isSafeInteger(first)) || (last !== undefined && !Number.isSafeInteger(last))) return null;
  if (first === undefined) {
    // Suffix range: the last `last` bytes.
    if (!last || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - last), end: size - 1 };
  }
  if (last !== undefined && last < first) return null;
  if (first >= size) return "unsatisfiable";
  return { start: first, end: Math.min(last ?? size - 1, size - 1) };
}

/** True when an If-None-Match header matches this strong ETag (weak comparison, as RFC 9110 asks for GET). */
/** Appended inside the quotes of a strong ETag when the body is sent gzipped (see http/compress.ts). */
export const GZIP_ETAG_SUFFIX = "-gzip";
const GZIPPED = new RegExp(`${GZIP_ETAG_SUFFIX}"$`);

export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === "*") return true;
  // Weak comparison (RFC 9110 §13.1.2), and a gzip variant's tag matches the representation it encodes.
  return ifNoneMatch.split(",").some((t) => t.trim().replace(/^W\//, "").replace(GZIPPED, '"') === etag);
}

/** RFC 6266/8187: an ASCII fallback plus the exact UTF-8 name. */
export function contentDisposition(kind: "inline" | "attachment", name: string | null): string {
  if (!name) return kind;
  const fallback = name.replace(/[^\x20-\x7e]|["\\%;]/g, "_");
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${kind}; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

const MAX_NAME_CHARS = 255;
// C0/C1 controls, and bidi overrides that can disguise an extension ("gpj.exe" shown as "exe.jpg").
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point.
const UNSAFE_CHARS = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** A client's file name made safe to store and echo: last path segment, no controls, bounded length. */
export function sanitizeName(raw: string | null | undefined): string | null {
  if (!raw) return null;
  const base = raw.normalize("NFC").replace(UNSAFE_CHARS, "").split(/[\\/]/).pop()?.trim() ?? "";
  if (base === "" || base === "." || base === "..") return null;
  const chars = Array.from(base); // by code point, so a cut never splits a surrogate pair
  if (chars.length <= MAX_NAME_CHARS) return base;
  const dot = base.lastIndexOf(".");
  const ext = dot > 0 && base.length - dot <= 16 ? base.slice(dot) : "";
  return chars.slice(0, MAX_NAME_CHARS - ext.length).join("") + ext;
}
