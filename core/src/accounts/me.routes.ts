import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { requireSession } from "../auth/identify";
import { policy } from "../http/policy";
import { CursorParam, clientMeta, errorResponses, json, Limit, page, Uuid } from "../http/route-kit";
import type { App, AppEnv, SignedInEnv } from "../http/types";
import { listAudit } from "./audit";
import { listSessions, revokeAllSessions, revokeSession } from "./sessions";

const Session = z
  .object({
    id: z.string().openapi({ description: "The login's id (the access tokens' `sid`)" }),
    current: z.boolean().openapi({ description: "Whether this is the login making the request" }),
    userAgent: z.string().nullable(),
    ip: z.string().nullable(),
    createdAt: z.string().openapi({ description: "When the user signed in" }),
    lastUsedAt: z.string().openapi({ description: "The latest sign-in or token refresh" }),
    expiresAt: z.string().openapi({ description: "When the current refresh token expires" }),
  })
  .openapi("SessionInfo");

const AuditEvent = z
  .object({
    id: z.string(),
    action: z.string().openapi({ example: "auth.login" }),
    actorId: z.string().nullable().openapi({ description: "Who caused it: you, or an admin" }),
    targetType: z.string().nullable(),
    targetId: z.string().nullable(),
    ip: z.string().nullable(),
    userAgent: z.string().nullable(),
    metadata: z.record(z.string(), z.unknown()).nullable(),
    createdAt: z.string(),
  })
  .openapi("AuditEvent");

const tags = ["me"];

/** Sessions and the audit log are managed from a signed-in session, never with an API key. */
const session = (c: Context<AppEnv & SignedInEnv>) => {
  const auth = requireSession(c.var.auth);
  return { ctx: { userId: auth.userId, s: c.get("services") }, sessionId: auth.sessionId };
};

export function registerMe(app: App) {
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/me/sessions",
      tags,
      ...policy.signedIn,
      responses: {
        200: json(z.object({ items: z.array(Session) }).openapi("SessionList"), "Active logins, most recently used first"),
        ...errorResponses,
      },
    }),
    async (c) => {
      const { ctx, sessionId } = session(c);
      return c.json({ items: await listSessions({ ctx, input: { currentSessionId: sessionId } }) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/v1/me/sessions/{id}",
      tags,
      ...policy.signedIn,
      request: { params: z.object({ id: Uuid.openapi({ param: { name: "id", in: "path" } }) }) },
      responses: { 204: { description: "Revoked: its refresh and access tokens stop working at once" }, ...errorResponses },
    }),
    async (c) => {
      const { ctx } = session(c);
      await revokeSession({ ctx, input: { sessionId: c.req.valid("param").id, client: clientMeta(c) } });
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/v1/me/sessions",
      tags,
      ...policy.signedIn,
      request: {
        query: z.object({
          keepCurrent: z.enum(["true", "false"]).default("false").openapi({ description: "`true` keeps the login making this request" }),
        }),
      },
      responses: {
        200: json(z.object({ revoked: z.number().int() }).openapi("SessionsRevoked"), "Every (other) login revoked"),
        ...errorResponses,
      },
    }),
    async (c) => {
      const { ctx, sessionId } = session(c);
      const keep = c.req.valid("query").keepCurrent === "true";
      const revoked = await revokeAllSessions({ ctx, input: { keepSessionId: keep ? sessionId : undefined, client: clientMeta(c) } });
      return c.json({ revoked }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/me/audit",
      tags,
      ...policy.signedIn,
      request: { query: z.object({ limit: Limit, cursor: CursorParam }) },
      responses: { 200: json(page(AuditEvent, "AuditPage"), "Your security events, newest first"), ...errorResponses },
    }),
    async (c) => {
      const { ctx } = session(c);
      return c.json(await listAudit({ ctx, input: c.req.valid("query") }), 200);
    },
  );
}
