import { createRoute, z } from "@hono/zod-openapi";
import { SCOPES } from "@tcc/shared/contracts";
import type { Context } from "hono";
import { requireSession } from "../auth/identify";
import { policy } from "../http/policy";
import { clientMeta, errorResponses, IdParam, json, jsonBody, Timestamp, text } from "../http/route-kit";
import type { App, AppEnv, SignedInEnv } from "../http/types";
import * as apiKeys from "./api-keys";

const ApiKey = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string(),
    scopes: z.array(z.string()),
    createdAt: z.string(),
    lastUsedAt: z.string().nullable(),
    expiresAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
  })
  .openapi("ApiKey");

const tags = ["api-keys"];

// Keys are managed from a signed-in session only: a leaked key must not mint more keys.
const sessionCtx = (c: Context<AppEnv & SignedInEnv>) => ({ userId: requireSession(c.var.auth).userId, s: c.get("services") });

export function registerApiKeys(app: App) {
  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/api-keys",
      tags,
      ...policy.signedIn,
      request: jsonBody(
        z.object({ name: text(100).min(1), scopes: z.array(z.enum(SCOPES)).min(1), expiresAt: Timestamp.optional() }).strict(),
      ),
      responses: {
        201: json(ApiKey.extend({ key: z.string().openapi({ description: "Shown once; store it now" }) }).openapi("NewApiKey"), "Created"),
        ...errorResponses,
      },
    }),
    async (c) => c.json(await apiKeys.createApiKey({ ctx: sessionCtx(c), input: { ...c.req.valid("json"), client: clientMeta(c) } }), 201),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/api-keys",
      tags,
      ...policy.signedIn,
      responses: { 200: json(z.object({ items: z.array(ApiKey) }), "Your keys, newest first"), ...errorResponses },
    }),
    async (c) => c.json({ items: await apiKeys.listApiKeys({ ctx: sessionCtx(c) }) }, 200),
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/v1/api-keys/{id}",
      tags,
      ...policy.signedIn,
      request: { params: IdParam },
      responses: { 204: { description: "Revoked" }, ...errorResponses },
    }),
    async (c) => {
      await apiKeys.revokeApiKey({ ctx: sessionCtx(c), input: { ...c.req.valid("param"), client: clientMeta(c) } });
      return c.body(null, 204);
    },
  );
}
