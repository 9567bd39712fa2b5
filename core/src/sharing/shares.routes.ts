import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { requireSession } from "../auth/identify";
import type { Ctx } from "../context";
import { policy } from "../http/policy";
import { CursorParam, clientMeta, errorResponses, IdParam, json, jsonBody, Limit, page, Uuid } from "../http/route-kit";
import type { App, AppEnv, SignedInEnv } from "../http/types";
import * as shares from "./shares";

export const ResourceType = z.enum(["entry", "topic", "gallery"]);
export const Permission = z
  .enum(["read", "edit"])
  .openapi({ description: "read: see it. edit: also change it through PATCH /v1/shared/…; never delete or share it on" });

const Person = z.object({ id: Uuid, email: z.string(), displayName: z.string().nullable() }).openapi("SharePerson");

const Share = z
  .object({
    id: Uuid,
    resourceType: ResourceType,
    resourceId: Uuid,
    permission: Permission,
    grantee: Person,
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Share");

const ShareCreate = z
  .object({
    resourceType: ResourceType.openapi({ description: "A topic share covers every entry in the topic, present and future" }),
    resourceId: Uuid.openapi({ description: "One of your entries, topics or galleries" }),
    permission: Permission.default("read"),
    grantee: z
      .object({ email: z.string().trim().email().max(320).optional(), userId: Uuid.optional() })
      .strict()
      .refine((g) => (g.email === undefined) !== (g.userId === undefined), "give exactly one of email and userId")
      .openapi({ description: "The user to share with, by email or by user id" }),
  })
  .strict()
  .openapi("ShareCreate");

const SharePatch = z.object({ permission: Permission }).strict().openapi("SharePatch");

const ListQuery = z.object({ resourceType: ResourceType.optional(), resourceId: Uuid.optional(), limit: Limit, cursor: CursorParam });

const tags = ["sharing"];

/** Deciding who sees your data is for a signed-in session, like managing API keys: API keys get 403. */
function sessionCtx(c: Context<AppEnv & SignedInEnv>): Ctx {
  return { userId: requireSession(c.var.auth).userId, s: c.get("services") };
}

export function registerShares(app: App) {
  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/shares",
      tags,
      ...policy.signedIn,
      request: jsonBody(ShareCreate),
      responses: { 201: json(Share, "Shared (sharing the same object with the same user again sets the permission)"), ...errorResponses },
    }),
    async (c) => c.json(await shares.createShare({ ctx: sessionCtx(c), input: { ...c.req.valid("json"), client: clientMeta(c) } }), 201),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/shares",
      tags,
      ...policy.signedIn,
      request: { query: ListQuery },
      responses: { 200: json(page(Share, "SharePage"), "The grants you made, newest first"), ...errorResponses },
    }),
    async (c) => c.json(await shares.listShares({ ctx: sessionCtx(c), input: c.req.valid("query") }), 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/shares/{id}",
      tags,
      ...policy.signedIn,
      request: { params: IdParam },
      responses: { 200: json(Share, "The grant"), ...errorResponses },
    }),
    async (c) => c.json(await shares.getShare({ ctx: sessionCtx(c), input: c.req.valid("param") }), 200),
  );

  app.openapi(
    createRoute({
      method: "patch",
      path: "/v1/shares/{id}",
      tags,
      ...policy.signedIn,
      request: { params: IdParam, ...jsonBody(SharePatch) },
      responses: { 200: json(Share, "The permission changed, effective at once"), ...errorResponses },
    }),
    async (c) =>
      c.json(
        await shares.updateShare({
          ctx: sessionCtx(c),
          input: { id: c.req.valid("param").id, permission: c.req.valid("json").permission, client: clientMeta(c) },
        }),
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/v1/shares/{id}",
      tags,
      ...policy.signedIn,
      request: { params: IdParam },
      responses: { 204: { description: "Revoked: the grantee's next request no longer sees the object" }, ...errorResponses },
    }),
    async (c) => {
      await shares.revokeShare({ ctx: sessionCtx(c), input: { id: c.req.valid("param").id, client: clientMeta(c) } });
      return c.body(null, 204);
    },
  );
}
