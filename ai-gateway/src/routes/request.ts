import { AI_HEADERS, type AiPriority } from "@tcc/shared/contracts";
import type { Context } from "hono";
import type { z } from "zod";
import type { Ctx } from "../context";
import { GatewayError } from "../errors";
import type { AppEnv } from "../types";

/**
 * The body as raw bytes (forwarded untouched) and as validated JSON (used to route it).
 * Malformed JSON and schema failures are 400s in OpenAI's error shape.
 */
export async function readBody<S extends z.ZodType>(c: Context<AppEnv>, schema: S): Promise<{ raw: Uint8Array; body: z.infer<S> }> {
  const max = c.get("services").env.MAX_BODY_BYTES;
  if (Number(c.req.header("content-length") ?? 0) > max)
    throw new GatewayError("payload_too_large", `The body is larger than ${max} bytes`);
  const raw = new Uint8Array(await c.req.arrayBuffer());
  if (raw.byteLength > max) throw new GatewayError("payload_too_large", `The body is larger than ${max} bytes`);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(raw));
  } catch {
    throw new GatewayError("invalid_json", "The body is not valid JSON");
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new GatewayError("invalid_request", `Invalid body: ${issue?.path.join(".") || "(root)"}: ${issue?.message ?? "invalid"}`);
  }
  return { raw, body: parsed.data };
}

/** Who the call is for (x-tcc-user, else the body's `user`), its priority and its deadline. */
export function ctxOf(c: Context<AppEnv>, defaultPriority: AiPriority, bodyUser?: unknown): Ctx {
  const services = c.get("services");
  const user = c.req.header(AI_HEADERS.user) || (typeof bodyUser === "string" && bodyUser) || "anonymous";
  c.set("user", user);
  const p = c.req.header(AI_HEADERS.priority);
  if (p !== undefined && p !== "interactive" && p !== "batch")
    throw new GatewayError("invalid_request", `${AI_HEADERS.priority} must be interactive or batch`);
  const d = c.req.header(AI_HEADERS.deadline);
  const deadlineMs = d === undefined ? services.env.AI_DEADLINE_MS : Number(d);
  if (!Number.isInteger(deadlineMs) || deadlineMs <= 0)
    throw new GatewayError("invalid_request", `${AI_HEADERS.deadline} must be a positive whole number of milliseconds`);
  return {
    services,
    user,
    priority: p ?? defaultPriority,
    deadlineAt: Date.now() + deadlineMs,
    signal: c.req.raw.signal,
    started: performance.now(),
  };
}
