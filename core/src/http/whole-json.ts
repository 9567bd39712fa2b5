import type { Context } from "hono";
import { isUnencodedJson } from "./compress";
import type { AppEnv } from "./types";

/** uWS's cork buffer: a response that fits leaves in one send(). */
const CORK_BYTES = 16 * 1024;
/** Room for the status line and the headers beside the body. */
const LARGE_BODY_BYTES = CORK_BYTES - 2 * 1024;

/** A body written through Bun's buffered sink for streams, in one piece. */
const inOneWrite = (text: string) =>
  new ReadableStream({
    type: "direct",
    pull(sink) {
      sink.write(text);
      sink.end();
    },
  });

/**
 * A JSON response too large for the socket's cork buffer, sent as one stream write. Bun 1.4.5
 * sends a response that JavaScript finished after an `await` (every route that reads anything)
 * in several pieces once it no longer fits the 16 KiB cork buffer (oven-sh/bun#41341): a 16 KB
 * body cost bare Bun.serve 125–166 µs of CPU per request against 27–35 µs for 15 KB, and the
 * default 25-entry page is about that size. Through a direct stream the same body cost 35–56 µs
 * (docs/benchmarks.md). The price is chunked transfer encoding instead of a Content-Length.
 * Runs only where gzip did not (a gzipped page is far smaller); a small body is put back as it was.
 */
export async function sendLargeJsonWhole(c: Context<AppEnv>): Promise<void> {
  const res = c.res;
  if (res.status === 204 || res.status === 304 || !isUnencodedJson(res)) return;
  const text = await res.text(); // consumed: put back below either way
  // Characters undercount UTF-8 bytes by up to 3×; count bytes only where that could matter.
  const large = text.length >= LARGE_BODY_BYTES || (text.length * 3 >= LARGE_BODY_BYTES && Buffer.byteLength(text) >= LARGE_BODY_BYTES);
  c.res = undefined; // replace, do not merge: a merge would wrap the old, consumed body
  c.res = new Response(large ? inOneWrite(text) : text, { status: res.status, headers: res.headers });
}
