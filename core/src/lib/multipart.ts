import { AppError } from "../errors";

const HEADER_END = Buffer.from("\r\n\r\n");
const MAX_HEADER_BYTES = 16 * 1024;

export interface FilePart {
  filename: string | null;
  type: string | null;
  /** The part's bytes, streamed as they arrive; errors if the body ends before the closing boundary. */
  body: ReadableStream<Uint8Array>;
}

/** The boundary parameter of a multipart/form-data Content-Type, or null. */
export function boundaryOf(contentType: string | undefined): string | null {
  if (!contentType || !/^multipart\/form-data\s*;/i.test(contentType)) return null;
  const m = /;\s*boundary=(?:"([^"]{1,70})"|([^;\s]{1,70}))/i.exec(contentType);
  return m ? (m[1] ?? m[2] ?? null) : null;
}

const malformed = (why: string) => new AppError("BAD_REQUEST", `Malformed multipart body: ${why}`);

/**
 * Finds the part named `field` in a multipart/form-data stream and returns its bytes as a stream.
 *
 * Why not `c.req.formData()` / `parseBody()`: they materialise the whole request before returning
 * (the File is a Blob over bytes already received), so a 50 MB upload costs 50 MB of memory per
 * request and the size limit and hash apply only after everything has arrived. Parsing the raw
 * stream keeps memory at about one chunk and lets storage meter, hash and refuse bytes as they come.
 * Parts before `field` are skipped; anything after it is not read.
 */
export async function filePart(body: ReadableStream<Uint8Array>, boundary: string, field: string): Promise<FilePart> {
  const reader = body.getReader();
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  let buf: Buffer = Buffer.from("\r\n"); // the first delimiter is not preceded by a line break
  let eof = false;
  const fill = async () => {
    if (eof) return false;
    const next = await reader.read();
    if (next.done) {
      eof = true;
      return false;
    }
    buf = buf.length ? Buffer.concat([buf, next.value]) : Buffer.from(next.value);
    return true;
  };
  /** Discards everything up to and including the next delimiter, keeping memory bounded while skipping. */
  const skipPastDelimiter = async () => {
    for (;;) {
      const i = buf.indexOf(delimiter);
      if (i >= 0) {
        buf = buf.subarray(i + delimiter.length);
        return;
      }
      if (buf.length >= delimiter.length) buf = buf.subarray(buf.length - delimiter.length + 1);
      if (!(await fill())) throw malformed("boundary not found");
    }
  };

  for (;;) {
    await skipPastDelimiter();
    while (buf.length < 2) if (!(await fill())) throw malformed("truncated");
    if (buf[0] === 0x2d && buf[1] === 0x2d) throw new AppError("VALIDATION_FAILED", `The multipart body has no "${field}" part`);
    let end = buf.indexOf(HEADER_END);
    while (end < 0) {
      if (buf.length > MAX_HEADER_BYTES) throw malformed("part headers too long");
      if (!(await fill())) throw malformed("truncated part headers");
      end = buf.indexOf(HEADER_END);
    }
    const headers = parseHeaders(buf.subarray(0, end).toString("utf8"));
    buf = buf.subarray(end + HEADER_END.length);
    const disposition = headers.get("content-disposition") ?? "";
    if (param(disposition, "name") !== field) continue;
    return { filename: filenameOf(disposition), type: headers.get("content-type") ?? null, body: partStream() };
  }

  function partStream(): ReadableStream<Uint8Array> {
    return new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          for (;;) {
            const i = buf.indexOf(delimiter);
            if (i >= 0) {
              if (i > 0) controller.enqueue(buf.subarray(0, i));
              buf = Buffer.alloc(0);
              controller.close();
              await reader.cancel().catch(() => {}); // the rest of the body is not needed
              return;
            }
            // Everything but a possible delimiter prefix at the end can go out now.
            const safe = buf.length - delimiter.length + 1;
            if (safe > 0) {
              controller.enqueue(buf.subarray(0, safe));
              buf = buf.subarray(safe);
              return;
            }
            if (!(await fill())) throw malformed("the body ended inside the file part");
          }
        },
        cancel: (reason) => reader.cancel(reason),
      },
      { highWaterMark: 0 },
    );
  }
}

function parseHeaders(block: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of block.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) out.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return out;
}

function param(header: string, name: string): string | null {
  const m = new RegExp(`(?:^|;)\\s*${name}\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]*))`, "i").exec(header);
  if (!m) return null;
  return m[1] !== undefined ? m[1].replace(/\\(.)/g, "$1") : (m[2] ?? null);
}

function filenameOf(disposition: string): string | null {
  const extended = param(disposition, "filename\\*");
  if (extended) {
    const m = /^utf-8'[^']*'(.*)$/i.exec(extended);
    if (m?.[1]) {
      try {
        return decodeURIComponent(m[1]);
      } catch {}
    }
  }
  return param(disposition, "filename");
}
