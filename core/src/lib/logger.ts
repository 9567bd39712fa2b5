import pino from "pino";

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
 * redaction (which walks its paths on every call), and its lines are written in batches of
 * 8 KiB, or every 250 ms, instead of one write(2) each. Writes stay synchronous (a full pipe
 * blocks rather than drops lines) and what is left is written on exit. Per line, to a pipe:
 * 11 µs written one by one, 7.5 µs asynchronously, 4.5 µs batched like this.
 */
export function createRequestLogger(level: string): Logger {
  return pino({ level, base: { service: "tcc-core" } }, batchedStdout());
}

let batched: ReturnType<typeof pino.destination> | undefined;
/** One per process, shared by every request logger: one buffer, one exit hook. */
function batchedStdout() {
  if (!batched) {
    const dest = pino.destination({ dest: 1, sync: true, minLength: 8192, periodicFlush: 250 });
    process.on("exit", () => dest.flushSync());
    batched = dest;
  }
  return batched;
}
