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

/**
 * gzip for JSON responses of 1 KiB or more when the client accepts it, run on the response the
 * route made (http/frame.ts); false when the client does not accept gzip (whole-json.ts then
 * looks at the body). Synchronous and whole-body (Bun.gzipSync): API responses are bounded by
 * page size, and a small body also keeps Bun's HTTP writer on its fast path, which large bodies
 * (over ~16 KiB) fall off.
 */
export async function gzipJson(c: Context<AppEnv>): Promise<boolean> {
  if (!/\bgzip\b/.test(c.req.header("accept-encoding") ?? "")) return false;
  const res = c.res;
  if (res.status === 304) {
    keepGzipTag(c.req.header("if-none-match"), res.headers);
    return true;
  }
  if (!isUnencodedJson(res)) return true;
  const body = new Uint8Array(await res.arrayBuffer()); // consumed: every path below replaces c.res
  const headers = new Headers(res.headers);
  let out: Uint8Array = body;
  if (body.byteLength >= MIN_BYTES) {
    out = Bun.gzipSync(body, { level: 5 });
    headers.set("content-encoding", "gzip");
    headers.append("vary", "Accept-Encoding");
    headers.delete("content-length");
    // A strong ETag names one representation: the gzipped one gets its own (etagMatches knows it).
    const etag = headers.get("etag");
    if (etag && !etag.startsWith("W/")) headers.set("etag", `${etag.slice(0, -1)}${GZIP_ETAG_SUFFIX}"`);
  }
  c.res = undefined; // replace, do not merge: a merge would wrap the old, consumed body
  c.res = new Response(out, { status: res.status, headers });
  return true;
}
