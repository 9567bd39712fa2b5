import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { CursorParam, clientMeta, errorResponses, IdParam, json, jsonBody, Limit, page, text } from "../http/route-kit";
import type { App, AppEnv, SignedInEnv } from "../http/types";
import * as admin from "./admin";
import { adminPolicy } from "./admin-guard";

const AdminUser = z
  .object({
    id: z.string(),
    email: z.string(),
    displayName: z.string().nullable(),
    role: z.enum(["user", "admin"]),
    status: z.enum(["active", "suspended", "deleted"]),
    mfaEnabled: z.boolean(),
    createdAt: z.string(),
    suspendedAt: z.string().nullable(),
    deletedAt: z.string().nullable(),
  })
  .openapi("AdminUser");

const Status = z
  .object({
    users: z.object({
      total: z.number().int(),
      active: z.number().int(),
      suspended: z.number().int(),
      deleted: z.number().int(),
      admins: z.number().int(),
      mfaEnabled: z.number().int(),
    }),
    database: z.object({
      status: z.enum(["ok", "down"]),
      driver: z.string(),
      replicas: z.array(z.object({ url: z.string(), healthy: z.boolean(), lagSeconds: z.number().nullable() })),
      inFlight: z.object({ primary: z.number(), replica: z.number() }),
    }),
    cache: z.object({ status: z.enum(["ok", "down"]), kind: z.string() }),
    jobs: z.object({ kind: z.string() }),
    ai: z.object({ enabled: z.boolean() }),
    uptimeSeconds: z.number().int(),
  })
  .openapi("SystemStatus");

const tags = ["admin"];
const forbidden = { 403: errorResponses[403] };
const conflict = { 409: json(z.any(), "Not possible in the account's state, or on yourself") };
const Reason = jsonBody(z.object({ reason: text(500).optional() }).strict());

const call = <I>(c: Context<AppEnv & SignedInEnv>, input: I) => ({
  ctx: { userId: c.var.auth.userId, s: c.get("services") },
  input: { ...input, client: clientMeta(c) },
});

export function registerAdmin(app: App) {
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/admin/users",
      tags,
      ...adminPolicy,
      request: {
        query: z.object({
          limit: Limit,
          cursor: CursorParam,
          q: text(254).optional().openapi({ description: "Part of the email" }),
          status: z.enum(["active", "suspended", "deleted"]).optional(),
        }),
      },
      responses: { 200: json(page(AdminUser, "AdminUserPage"), "Accounts, newest first"), ...forbidden, ...errorResponses },
    }),
    async (c) => c.json(await admin.listUsers(call(c, c.req.valid("query"))), 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/admin/users/{id}",
      tags,
      ...adminPolicy,
      request: { params: IdParam },
      responses: { 200: json(AdminUser, "The account"), ...errorResponses },
    }),
    async (c) => c.json(await admin.getUser(call(c, c.req.valid("param"))), 200),
  );

  app.openapi(
    createRoute({
      method: "patch",
      path: "/v1/admin/users/{id}",
      tags,
      ...adminPolicy,
      request: { params: IdParam, ...jsonBody(z.object({ role: z.enum(["user", "admin"]) }).strict()) },
      responses: { 200: json(AdminUser, "Role changed"), ...conflict, ...errorResponses },
    }),
    async (c) => c.json(await admin.setRole(call(c, { ...c.req.valid("param"), ...c.req.valid("json") })), 200),
  );

  for (const change of ["suspend", "unsuspend"] as const) {
    app.openapi(
      createRoute({
        method: "post",
        path: `/v1/admin/users/{id}/${change}`,
        tags,
        ...adminPolicy,
        request: { params: IdParam, ...Reason },
        responses: {
          200: json(
            AdminUser,
            change === "suspend"
              ? "Suspended: sign-in refused, sessions and API keys stop working at once"
              : "Can sign in again (sessions ended by the suspension stay ended)",
          ),
          ...conflict,
          ...errorResponses,
        },
      }),
      async (c) => c.json(await admin.changeUser(call(c, { ...c.req.valid("param"), ...c.req.valid("json"), change })), 200),
    );
  }

  app.openapi(
    createRoute({
      method: "delete",
      path: "/v1/admin/users/{id}",
      tags,
      ...adminPolicy,
      request: { params: IdParam },
      responses: {
        200: json(AdminUser, "Deleted (soft): sign-in refused, sessions and API keys stop working"),
        ...conflict,
        ...errorResponses,
      },
    }),
    async (c) => c.json(await admin.changeUser(call(c, { ...c.req.valid("param"), change: "delete" as const })), 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/admin/status",
      tags,
      ...adminPolicy,
      responses: { 200: json(Status, "Accounts and dependencies"), ...errorResponses },
    }),
    async (c) => c.json(await admin.systemStatus(call(c, {})), 200),
  );
}
