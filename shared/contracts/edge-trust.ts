import { z } from "zod";

/**
 * The edge → core trust header. The edge verifies an access token against core's JWKS and tells
 * core who the caller is with `x-tcc-edge-trust: v1.<userId>.<sessionId>.<ts>.<nonce>.<sig>`,
 * where `sig` is HMAC-SHA256 (base64url) under EDGE_TRUST_SECRET over `canonicalTrustString`.
 * Core believes it only with a valid signature, a timestamp within EDGE_TRUST_WINDOW_S of its
 * clock, the same method and path, and a nonce it has not seen in that window; otherwise it
 * refuses the request. Without the header core verifies the token itself, so calling core
 * directly gains nothing. WebCrypto only: this runs in workerd and in Bun alike.
 */
export const EDGE_TRUST_HEADER = "x-tcc-edge-trust";
export const EDGE_TRUST_VERSION = "v1";
/** Core's default window; the edge signs at send time, so this covers clock skew and transit. */
export const EDGE_TRUST_DEFAULT_WINDOW_S = 30;

const Id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);
export const EdgeTrust = z.object({
  userId: Id,
  sessionId: Id,
  /** Unix seconds when the edge signed. */
  ts: z.number().int().nonnegative(),
  /** Random, base64url; core remembers it for the window to refuse replays. */
  nonce: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/),
});
export type EdgeTrust = z.infer<typeof EdgeTrust>;

/** What the signature covers: the caller, when, and which request (method and path with query). */
export function canonicalTrustString(t: EdgeTrust, request: { method: string; path: string }): string {
  return [`tcc-edge-trust/${EDGE_TRUST_VERSION}`, t.userId, t.sessionId, t.ts, t.nonce, request.method.toUpperCase(), request.path].join(
    "\n",
  );
}

const keys = new Map<string, Promise<CryptoKey>>();
function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
    keys.set(secret, key);
  }
  return key;
}

function toBase64Url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return null;
  const bin = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function newTrustNonce(): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(18)));
}

/** The header value for one request. */
export async function signEdgeTrust(secret: string, t: EdgeTrust, request: { method: string; path: string }): Promise<string> {
  const mac = await crypto.subtle.sign("HMAC", await hmacKey(secret), new TextEncoder().encode(canonicalTrustString(t, request)));
  return [EDGE_TRUST_VERSION, t.userId, t.sessionId, t.ts, t.nonce, toBase64Url(new Uint8Array(mac))].join(".");
}

export type TrustCheck = { ok: true; trust: EdgeTrust } | { ok: false; reason: "malformed" | "signature" | "expired" };

/**
 * Checks format, signature (constant time, by WebCrypto) and timestamp. Replay (the nonce) is
 * the receiver's to check, since only it has somewhere to remember nonces.
 */
export async function verifyEdgeTrust(
  secret: string,
  header: string,
  request: { method: string; path: string; nowS: number; windowS: number },
): Promise<TrustCheck> {
  const parts = header.split(".");
  if (parts.length !== 6 || parts[0] !== EDGE_TRUST_VERSION) return { ok: false, reason: "malformed" };
  const [, userId, sessionId, ts, nonce, sig] = parts as [string, string, string, string, string, string];
  const parsed = EdgeTrust.safeParse({ userId, sessionId, ts: /^\d{1,12}$/.test(ts) ? Number(ts) : Number.NaN, nonce });
  const mac = fromBase64Url(sig);
  if (!parsed.success || !mac || mac.length !== 32) return { ok: false, reason: "malformed" };
  const data = new TextEncoder().encode(canonicalTrustString(parsed.data, request));
  if (!(await crypto.subtle.verify("HMAC", await hmacKey(secret), mac, data))) return { ok: false, reason: "signature" };
  if (Math.abs(request.nowS - parsed.data.ts) > request.windowS) return { ok: false, reason: "expired" };
  return { ok: true, trust: parsed.data };
}
