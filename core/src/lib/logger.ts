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
