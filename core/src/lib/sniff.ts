/** Enough leading bytes for every signature below and for a look at the start of a text document. */
export const SNIFF_BYTES = 1024;

const startsWith = (b: Uint8Array, sig: number[], at = 0) => sig.every((v, i) => b[at + i] === v);
const ascii = (s: string) => [...s].map((ch) => ch.charCodeAt(0));

const SIGNATURES: [string, (b: Uint8Array) => boolean][] = [
  ["image/png", (b) => startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])],
  ["image/jpeg", (b) => startsWith(b, [0xff, 0xd8, 0xff])],
  ["image/gif", (b) => startsWith(b, ascii("GIF87a")) || startsWith(b, ascii("GIF89a"))],
  ["image/webp", (b) => startsWith(b, ascii("RIFF")) && startsWith(b, ascii("WEBP"), 8)],
  ["application/pdf", (b) => startsWith(b, ascii("%PDF-"))],
  ["application/zip", (b) => startsWith(b, [0x50, 0x4b, 0x03, 0x04]) || startsWith(b, [0x50, 0x4b, 0x05, 0x06])],
];

// The tags WHATWG's MIME sniffing treats as "this is HTML", plus the ones an attacker would lead with.
const HTML_START = /^<(!doctype html|html|head|body|script|iframe|h1|div|font|table|a|style|title|b|br|p|img|svg|object|embed|!--)[\s>/]/i;
// biome-ignore lint/suspicious/noControlCharactersInRegex: binary detection is about control characters.
const BINARY = /[\u0000-\u0008\u000b\u000e-\u001a\u001c-\u001f]/;

/**
 * The real type of a file from its first bytes. Only types we can recognise with certainty are
 * named; anything else is application/octet-stream. Markup is classed conservatively (an SVG or
 * HTML document is never mistaken for plain text) because those are the types never served inline.
 */
export function sniff(head: Uint8Array): string {
  for (const [type, matches] of SIGNATURES) if (matches(head)) return type;
  let text: string;
  try {
    // stream: true tolerates a multi-byte character cut off at the end of the sample.
    text = new TextDecoder("utf-8", { fatal: true }).decode(head, { stream: true });
  } catch {
    return "application/octet-stream";
  }
  if (BINARY.test(text)) return "application/octet-stream";
  const start = text
    .replace(/^\uFEFF/, "")
    .trimStart()
    .slice(0, 512)
    .toLowerCase();
  if (start.startsWith("<?xml") || start.startsWith("<!doctype svg")) return start.includes("<svg") ? "image/svg+xml" : "application/xml";
  if (start.startsWith("<svg")) return "image/svg+xml";
  if (HTML_START.test(start)) return "text/html";
  return "text/plain";
}

/** Raster images a browser renders without running anything: the only types served inline. */
export const INLINE_SAFE = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);

/** Image types the sniffer recognises; a declared one of these must match the bytes exactly. */
const KNOWN_IMAGES = new Set([...INLINE_SAFE, "image/svg+xml"]);

/** "image/JPG; charset=x" → "image/jpeg" */
export function normalizeType(declared: string | null | undefined): string | null {
  const base = declared?.split(";")[0]?.trim().toLowerCase();
  if (!base) return null;
  return base === "image/jpg" || base === "image/pjpeg" ? "image/jpeg" : base;
}

/**
 * A declared image type must agree with the bytes: a known image type exactly, an image type we
 * cannot sniff (HEIC, AVIF, …) at least not with bytes that are recognisably something else.
 */
export function declaredMismatch(declared: string | null, sniffed: string): boolean {
  if (!declared?.startsWith("image/")) return false;
  if (KNOWN_IMAGES.has(declared)) return declared !== sniffed;
  return sniffed !== "application/octet-stream";
}
