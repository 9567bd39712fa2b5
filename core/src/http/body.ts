import type { Context } from "hono";
import { AppError } from "../errors";
import type { AppEnv } from "./types";

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** Room for multipart framing (boundaries, part headers) on top of MAX_FILE_BYTES. */
export const UPLOAD_SLACK_BYTES = 64 * 1024;

const bodyless = (method: string) => method === "GET" || method === "HEAD" || method === "OPTIONS" || method === "DELETE";

/**
 * MAX_BODY_BYTES for a request body, and strict UTF-8 for JSON ones: a lenient decoder would
 * silently turn bad bytes into U+FFFD and store something the client never sent.
 */
export async function checkBody<E extends AppEnv>(c: Context<E>): Promise<void> {
  if (bodyless(c.req.method)) return;
  const maxBytes = c.get("services").env.MAX_BODY_BYTES;
  const declared = Number(c.req.header("content-length") ?? "0");
  if (declared > maxBytes) throw new AppError("PAYLOAD_TOO_LARGE", `Request body exceeds ${maxBytes} bytes`);
  if (!(c.req.header("content-type") ?? "").includes("json")) return;
  const bytes = await c.req.arrayBuffer(); // cached by Hono; the validator re-reads it
  if (bytes.byteLength > maxBytes) throw new AppError("PAYLOAD_TOO_LARGE", `Request body exceeds ${maxBytes} bytes`);
  try {
    strictUtf8.decode(bytes);
  } catch {
    throw new AppError("BAD_REQUEST", "Request body is not valid UTF-8");
  }
}

/**
 * File uploads: only the declared length is checked here. The upload route meters the stream
 * itself (chunked bodies declare nothing), and a .json file must not be buffered or
 * UTF-8-checked as a request.
 */
export function checkUploadLength<E extends AppEnv>(c: Context<E>): void {
  if (bodyless(c.req.method)) return;
  const maxUploadBytes = c.get("services").env.MAX_FILE_BYTES;
  const declared = Number(c.req.header("content-length") ?? "0");
  if (declared > maxUploadBytes + UPLOAD_SLACK_BYTES)
    throw new AppError("PAYLOAD_TOO_LARGE", `File exceeds the limit of ${maxUploadBytes} bytes`);
}
