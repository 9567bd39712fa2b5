import { createRoute, z } from "@hono/zod-openapi";
import { requireSession } from "../auth/identify";
import { policy } from "../http/policy";
import { clientMeta, errorResponses, IdParam, json, jsonBody, text } from "../http/route-kit";
import type { App } from "../http/types";
import { MfaChallenge, oneFactorOrNone, SecondFactor, Session } from "./auth.routes";
import * as oidc from "./oidc";

const ProviderParam = z.object({
  provider: z
    .string()
    .regex(/^[a-z0-9-]{1,32}$/)
    .openapi({ param: { name: "provider", in: "path" } }),
});
const Start = z.object({ authorizationUrl: z.string(), expiresIn: z.number().int() }).openapi("OidcStart");
const Outcome = z
  .union([
    Session.extend({ status: z.literal("signed_in") }),
    MfaChallenge.extend({ status: z.literal("mfa_required") }),
    z.object({ status: z.literal("linked"), provider: z.string() }),
    z.object({
      status: z.literal("link_required"),
      provider: z.string(),
      email: z.string(),
      pendingLinkToken: z.string().openapi({ description: "Send it with the account's password to POST /v1/auth/oidc/link/confirm" }),
      expiresIn: z.number().int(),
    }),
  ])
  .openapi("OidcOutcome");
const Identity = z
  .object({ id: z.string(), provider: z.string(), email: z.string().nullable(), createdAt: z.string(), lastLoginAt: z.string().nullable() })
  .openapi("Identity");

const tags = ["oidc"];

export function registerOidc(app: App) {
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/auth/oidc/providers",
      tags,
      ...policy.credentials,
      responses: {
        200: json(
          z.object({ items: z.array(z.object({ id: z.string(), name: z.string() })) }).openapi("OidcProviders"),
          "Configured sign-in providers",
        ),
        ...errorResponses,
      },
    }),
    (c) => c.json({ items: c.get("services").env.OIDC_PROVIDERS.map((p) => ({ id: p.id, name: p.name ?? p.id })) }, 200),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/auth/oidc/{provider}/start",
      tags,
      ...policy.credentials,
      request: { params: ProviderParam },
      responses: { 200: json(Start, "Send the browser to authorizationUrl"), ...errorResponses },
    }),
    async (c) => c.json(await oidc.startOidc({ ctx: { s: c.get("services") }, input: c.req.valid("param") }), 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/auth/oidc/{provider}/callback",
      tags,
      ...policy.credentials,
      request: {
        params: ProviderParam,
        query: z.object({
          state: z.string().min(1).max(200),
          code: z.string().max(2000).optional(),
          iss: z.string().max(500).optional(),
          error: z.string().max(200).optional(),
          error_description: z.string().max(1000).optional(),
          session_state: z.string().max(500).optional(),
        }),
      },
      responses: { 200: json(Outcome, "Signed in, MFA step needed, linked, or a link to confirm"), ...errorResponses },
    }),
    async (c) => {
      const query = Object.fromEntries(Object.entries(c.req.valid("query")).filter(([, v]) => v !== undefined)) as Record<string, string>;
      return c.json(
        await oidc.finishOidc({ ctx: { s: c.get("services") }, input: { ...c.req.valid("param"), query, client: clientMeta(c) } }),
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/auth/oidc/link/confirm",
      tags,
      ...policy.credentials,
      request: jsonBody(
        z
          .object({ pendingLinkToken: z.string().min(1).max(200), password: text(256).min(1), ...SecondFactor })
          .strict()
          .refine(oneFactorOrNone, { message: "send at most one of code and recoveryCode", path: ["code"] }),
      ),
      responses: { 200: json(Session.extend({ status: z.literal("signed_in") }), "Linked and signed in"), ...errorResponses },
    }),
    async (c) =>
      c.json(await oidc.confirmLink({ ctx: { s: c.get("services") }, input: { ...c.req.valid("json"), client: clientMeta(c) } }), 200),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/me/identities/{provider}",
      tags,
      ...policy.signedIn,
      request: { params: ProviderParam },
      responses: { 200: json(Start, "Send the browser to authorizationUrl; the callback links the identity to you"), ...errorResponses },
    }),
    async (c) => {
      const auth = requireSession(c.var.auth);
      return c.json(
        await oidc.startOidc({ ctx: { s: c.get("services") }, input: { ...c.req.valid("param"), linkUserId: auth.userId } }),
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/me/identities",
      tags,
      ...policy.signedIn,
      responses: {
        200: json(z.object({ items: z.array(Identity) }).openapi("IdentityList"), "Linked sign-in providers"),
        ...errorResponses,
      },
    }),
    async (c) => {
      const auth = requireSession(c.var.auth);
      return c.json({ items: await oidc.listIdentities({ ctx: { userId: auth.userId, s: c.get("services") } }) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/v1/me/identities/{id}",
      tags,
      ...policy.signedIn,
      request: { params: IdParam },
      responses: {
        204: { description: "Unlinked" },
        409: json(z.any(), "The last way into an account without a password"),
        ...errorResponses,
      },
    }),
    async (c) => {
      const auth = requireSession(c.var.auth);
      await oidc.unlinkIdentity({
        ctx: { userId: auth.userId, s: c.get("services") },
        input: { ...c.req.valid("param"), client: clientMeta(c) },
      });
      return c.body(null, 204);
    },
  );
}
