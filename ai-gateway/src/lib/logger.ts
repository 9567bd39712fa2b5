import pino from "pino";

export type Logger = pino.Logger;

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: "tcc-ai-gateway" },
    // Prompts and answers are the users' private data: never log bodies or tokens.
    redact: ["authorization", "token", "*.messages", "*.input", "*.content"],
  });
}
