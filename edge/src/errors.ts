import { type ErrorCode, errorStatus } from "@tcc/shared/contracts";
import type { Context } from "hono";
import type { EdgeEnv } from "./types";

/** Core's error envelope, so a client cannot tell (or care) whether the edge or core refused. */
export function errorResponse(
  c: Context<EdgeEnv>,
  code: ErrorCode,
  message: string,
  status: number = errorStatus[code],
  headers: Record<string, string> = {},
): Response {
  const requestId = c.get("requestId");
  return new Response(JSON.stringify({ error: { code, message, requestId } }), {
    status,
    headers: { "content-type": "application/json", "x-request-id": requestId, ...headers },
  });
}
