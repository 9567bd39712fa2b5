import pino from "pino";
import { BatchedLines } from "./batched-lines";

export type Logger = pino.Logger;

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: "tcc-core" },
    // Defence in depth: these never belong in logs even if someone logs a whole object.
    redact: ["password", "token", "refreshToken", "accessToken", "authorization", "*.password", "*.content"],
  });
}

/**
 * The one line per request (http/frame.ts). Its fields are fixed and none is secret, so it skips
 * redaction (which walks its paths on every call), and its lines are written in batches
 * (lib/batched-lines.ts) instead of one write(2) each.
 */
export function createRequestLogger(level: string): Logger {
  return pino({ level, base: { service: "tcc-core" } }, requestLines());
}

let shared: BatchedLines | undefined;
/** One per process, shared by every request logger: one buffer, one timer, one exit hook. */
function requestLines(): BatchedLines {
  shared ??= new BatchedLines(1);
  return shared;
}
