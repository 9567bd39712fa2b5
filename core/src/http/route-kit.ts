import { z } from "@hono/zod-openapi";
import type { Scope } from "@tcc/shared/contracts";
import { ErrorEnvelope } from "@tcc/shared/contracts";
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { requireScope } from "../auth/identify";
import type { Ctx } from "../context";
import { cachedJsonText } from "../lib/read-cache";
import { inInstantRange } from "../lib/timestamps";
import { clientIp } from "./client-ip";
import { sentFromCache } from "./compress";
import type { AppEnv, SignedInEnv } from "./types";

/** Postgres text cannot hold NUL; refuse it up front with a clear message instead of a 500. */
export const text = (max: number) =>
  z
    .string()
    .max(max)
    .refine((s) => !s.includes("\u0000"), "must not contain NUL characters");

export const Uuid = z.string().uuid();
export const IdParam = z.object({ id: Uuid.openapi({ param: { name: "id", in: "path" } }) });

export const Limit = z.coerce.number().int().min(1).max(100).default(25);
export const CursorParam = z.string().max(512).optional().openapi({ description: "nextCursor from the previous page" });
export const Timestamp = z
  .string()
  .datetime({ offset: true })
  .refine((s) => inInstantRange(Date.parse(s)), "must be between the years 100 and 9999 (UTC)")
  .openapi({ description: "ISO 8601 with an offset, between the years 100 and 9999 (UTC)" });

export const json = <T extends z.ZodTypeAny>(schema: T, description: string) => ({
  content: { "application/json": { schema } },
  description,
});

export const jsonBody = <T extends z.ZodTypeAny>(schema: T) => ({
  body: { content: { "application/json": { schema } }, required: true },
});

/**
 * The shared error envelope, named "Error" in the OpenAPI document. Rebuilt here with
 * zod-openapi's z: the contract stays plain zod (the edge imports it), and a plain schema made
 * before zod-openapi loaded has no .openapi().
 */
export const ErrorBody = z.object(ErrorEnvelope.shape).openapi("Error");

const err = (description: string) => json(ErrorBody, description);
export const errorResponses = {
  400: err("Invalid request"),
  401: err("Missing or invalid credentials"),
  403: err("The credentials lack a required scope"),
  404: err("Not found (also for other users' objects)"),
  429: err("Rate limited; see Retry-After"),
} as const;

export const page = <T extends z.ZodTypeAny>(item: T, name: string) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable() }).openapi(name);

/** The caller of a signed-in route, checked for `scope`, as the Ctx services take. */
export function ctxOf(c: Context<AppEnv & SignedInEnv>, scope: Scope): Ctx {
  const auth = requireScope(c.var.auth, scope);
  return { userId: auth.userId, s: c.get("services"), cacheStamp: c.var.cacheStamp };
}

export function clientMeta<E extends AppEnv>(c: Context<E>) {
  const s = c.get("services");
  return { ip: clientIp(c, s.env.TRUST_PROXY), userAgent: c.req.header("user-agent"), requestId: c.get("requestId") };
}

/**
 * `c.json(body, status)`, except that a value the read cache answered with goes out as the JSON
 * text it was stored as (`cachedJsonText`), not serialized again on every cached read (nor
 * gzipped again: sentFromCache).
 */
export function sendJson<E extends AppEnv, T extends object, S extends ContentfulStatusCode>(c: Context<E>, body: T, status: S) {
  const stored = cachedJsonText(body);
  if (stored === undefined) return c.json(body, status);
  const res = c.newResponse(stored, status, { "content-type": "application/json" });
  sentFromCache(res, body);
  return res as unknown as ReturnType<typeof c.json<T, S>>;
}
