import type { MiddlewareHandler } from "hono";
import { AppError } from "../errors";
import type { AppEnv } from "./types";

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** Room for multipart framing (boundaries, part headers) on top of MAX_FILE_BYTES. */
export const UPLOAD_SLACK_BYTES = 64 * 1024;

/**
 * Size limit for every request body, and strict UTF-8 for JSON ones: a lenient decoder would
 * silently turn bad bytes into U+FFFD and store something the client never sent. An `upload`
 * route (a file's bytes, streamed by the route, never read here) has MAX_FILE_BYTES instead.
 */
export function bodyGuard(kind: "json" | "upload"): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const method = c.req.method;
    if (method === "GET" || method === "HEAD" || method === "OPTIONS" || method === "DELETE") return next();
    const { MAX_BODY_BYTES: maxBytes, MAX_FILE_BYTES: maxUploadBytes } = c.get("services").env;
    const declared = Number(c.req.header("content-length") ?? "0");
    if (kind === "upload") {
      // Only the declared length here: the upload route meters the stream itself (chunked bodies
      // declare nothing), and a .json file must not be buffered or UTF-8-checked as a request.
      if (declared > maxUploadBytes + UPLOAD_SLACK_BYTES)
        throw new AppError("PAYLOAD_TOO_LARGE", `File exceeds the limit of ${maxUploadBytes} bytes`);
      return next();
    }
    if (declared > maxBytes) throw new AppError("PAYLOAD_TOO_LARGE", `Request body exceeds ${maxBytes} bytes`);
    if (!(c.req.header("content-type") ?? "").includes("json")) return next();
    const bytes = await c.req.arrayBuffer(); // cached by Hono; the validator re-reads it
    if (bytes.byteLength > maxBytes) throw new AppError("PAYLOAD_TOO_LARGE", `Request body exceeds ${maxBytes} bytes`);
    try {
      strictUtf8.decode(bytes);
    } catch {
      throw new AppError("BAD_REQUEST", "Request body is not valid UTF-8");
    }
    return next();
  };
}
