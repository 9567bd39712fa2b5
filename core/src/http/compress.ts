import type { Context } from "hono";
import { GZIP_ETAG_SUFFIX } from "../lib/http-file";
import type { AppEnv } from "./types";

const MIN_BYTES = 1024;

/**
 * A 304 has no body to compress, so the route answers with the plain tag; a client revalidating
 * the gzipped representation must get back the tag it sent (RFC 9110 §15.4.5), or a cache would
 * see a different validator and could drop or mislabel its stored, gzipped copy.
 */
function keepGzipTag(ifNoneMatch: string | undefined, headers: Headers): void {
  const etag = headers.get("etag");
  if (!etag || etag.startsWith("W/") || !ifNoneMatch) return;
  const gzipped = `${etag.slice(0, -1)}${GZIP_ETAG_SUFFIX}"`;
  if (!ifNoneMatch.split(",").some((t) => t.trim().replace(/^W\//, "") === gzipped)) return;
  headers.set("etag", gzipped);
  headers.append("vary", "Accept-Encoding");
}

/** A JSON body nothing has encoded yet: what gzipJson and sendLargeJsonWhole may rewrite. */
export const isUnencodedJson = (res: Response) =>
  !res.headers.has("content-encoding") && (res.headers.get("content-type") ?? "").startsWith("application/json");

/** Responses made from a value the read cache answered with (sendJson), by the value. */
const fromCachedValue = new WeakMap<Response, object>();
/** Each such value's body as gzipJson sends it: compressed once, not on every cached read. */
const encodedOnce = new WeakMap<object, { bytes: Uint8Array; gzipped: boolean }>();

/** Marks a response whose body is a cached value's stored JSON text: gzipJson may reuse its gzip. */
export function sentFromCache(res: Response, value: object): void {
  fromCachedValue.set(res, value);
}

/** The body to send to a gzip-accepting client: gzipped when 1 KiB or more, remembered per cached value. */
async function encode(res: Response): Promise<{ bytes: Uint8Array; gzipped: boolean }> {
  const value = fromCachedValue.get(res);
  const known = value && encodedOnce.get(value);
  if (known) return known;
  const body = new Uint8Array(await res.arrayBuffer());
  const encoded =
    body.byteLength >= MIN_BYTES ? { bytes: Bun.gzipSync(body, { level: 5 }), gzipped: true } : { bytes: body, gzipped: false };
  if (value) encodedOnce.set(value, encoded);
  return encoded;
}

/**
 * gzip for JSON responses of 1 KiB or more when the client accepts it, run on the response the
 * route made (http/frame.ts); false when the client does not accept gzip (whole-json.ts then
 * looks at the body). Synchronous and whole-body (Bun.gzipSync): API responses are bounded by
 * page size, and a small body also keeps Bun's HTTP writer on its fast path, which large bodies
 * (over ~16 KiB) fall off. A cached value's body is compressed once (sentFromCache).
 */
export async function gzipJson(c: Context<AppEnv>): Promise<boolean> {
  if (!/\bgzip\b/.test(c.req.header("accept-encoding") ?? "")) return false;
  const res = c.res;
  if (res.status === 304) {
    keepGzipTag(c.req.header("if-none-match"), res.headers);
    return true;
  }
  if (!isUnencodedJson(res)) return true;
  const { bytes, gzipped } = await encode(res); // the body may be consumed: every path below replaces c.res
  const headers = new Headers(res.headers);
  if (gzipped) {
    headers.set("content-encoding", "gzip");
    headers.append("vary", "Accept-Encoding");
    headers.delete("content-length");
    // A strong ETag names one representation: the gzipped one gets its own (etagMatches knows it).
    const etag = headers.get("etag");
    if (etag && !etag.startsWith("W/")) headers.set("etag", `${etag.slice(0, -1)}${GZIP_ETAG_SUFFIX}"`);
  }
  c.res = undefined; // replace, do not merge: a merge would wrap the old, consumed body
  c.res = new Response(bytes, { status: res.status, headers });
  return true;
}
