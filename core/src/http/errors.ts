import { databaseUnavailable } from "@tcc/db";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ZodError } from "zod";
import { AppError, type ErrorCode, errorStatus } from "../errors";
import { findBadString } from "./clean-strings";
import type { AppEnv } from "./types";

function envelope(c: Context<AppEnv>, code: ErrorCode, message: string, details?: unknown, status?: number) {
  const body = { error: { code, message, requestId: c.get("requestId") ?? "", ...(details === undefined ? {} : { details }) } };
  return c.json(body, (status ?? errorStatus[code]) as ContentfulStatusCode);
}

export function zodDetails(err: ZodError) {
  return err.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
}

/** The one place an error becomes a response: always the envelope, never a stack. */
export function onError(err: Error, c: Context<AppEnv>) {
  if (err instanceof AppError) {
    if (err.headers) for (const [k, v] of Object.entries(err.headers)) c.header(k, v);
    return envelope(c, err.code, err.message, err.details);
  }
  if (err instanceof ZodError) return envelope(c, "VALIDATION_FAILED", "Invalid request", zodDetails(err));
  if (err instanceof HTTPException) {
    // Hono's own validators and body parsers: malformed JSON ends up here.
    const byStatus: Record<number, ErrorCode> = { 401: "UNAUTHORIZED", 413: "PAYLOAD_TOO_LARGE", 415: "UNSUPPORTED_MEDIA_TYPE" };
    const code = byStatus[err.status] ?? "BAD_REQUEST";
    return envelope(c, code, err.message || "Bad request", undefined, err.status);
  }
  if (databaseUnavailable(err)) {
    // Primary down or failing over (the promotion drill): retry shortly, not a bug of ours or the client's.
    c.get("services")?.logger.warn({ err: String(err), requestId: c.get("requestId") }, "database unavailable");
    c.header("Retry-After", "1");
    return envelope(c, "UNAVAILABLE", "The database is unavailable; retry shortly", { service: "database" });
  }
  c.get("services")?.logger.error({ err, requestId: c.get("requestId") }, "unhandled error");
  return envelope(c, "INTERNAL", "Internal error");
}

export function notFoundHandler(c: Context<AppEnv>) {
  return envelope(c, "NOT_FOUND", `No route for ${c.req.method} ${new URL(c.req.url).pathname}`);
}

/**
 * zod-openapi's defaultHook, run for every validated part of every request: a failed validation
 * throws into onError, and so does a string no schema should have let through (findBadString).
 */
export function validationHook(result: { success: boolean; error?: unknown; data?: unknown }) {
  if (!result.success) {
    const err = result.error;
    throw new AppError("VALIDATION_FAILED", "Invalid request", err instanceof ZodError ? zodDetails(err) : undefined);
  }
  const bad = findBadString(result.data);
  if (bad) throw new AppError("VALIDATION_FAILED", "Invalid request", [bad]);
}
