import { createRoute, z } from "@hono/zod-openapi";
import { requireSession } from "../auth/identify";
import { policy } from "../http/policy";
import { clientMeta, errorResponses, json, jsonBody, text } from "../http/route-kit";
import type { App } from "../http/types";
import * as accounts from "./accounts";
import { audit } from "./audit";
import { refreshSession, revokeFamily } from "./sessions";

const Email = z.string().trim().email().max(254);
// OWASP: at least 8; the upper bound keeps hashing cost bounded.
const Password = text(256).min(8);

export const User = z
  .object({ id: z.string(), email: z.string(), displayName: z.string().nullable(), role: z.enum(["user", "admin"]), createdAt: z.string() })
  .openapi("User");
const Tokens = z.object({ accessToken: z.string(), refreshToken: z.string(), tokenType: z.literal("Bearer"), expiresIn: z.number() });
export const Session = Tokens.extend({ user: User }).openapi("Session");
export const MfaChallenge = z
  .object({
    mfaRequired: z.literal(true),
    mfaToken: z.string().openapi({ description: "Send it to POST /v1/auth/login/mfa with a code" }),
    methods: z.tuple([z.literal("totp"), z.literal("recovery_code")]),
    expiresIn: z.number().int(),
  })
  .openapi("MfaChallenge");
export const SecondFactor = {
  code: z
    .string()
    .regex(/^\d{6}$/, "must be 6 digits")
    .optional()
    .openapi({ description: "The current code of the authenticator app" }),
  recoveryCode: text(32).min(1).optional().openapi({ description: "One of the recovery codes (each works once)" }),
};
/** Exactly one of code and recoveryCode. */
export const oneFactor = (v: { code?: string; recoveryCode?: string }) => (v.code === undefined) !== (v.recoveryCode === undefined);
export const oneFactorOrNone = (v: { code?: string; recoveryCode?: string }) => v.code === undefined || v.recoveryCode === undefined;

const tags = ["auth"];

export function registerAuth(app: App) {
  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/auth/register",
      tags,
      // No token; the per-IP budget and the stricter one of every credential-handling route.
      ...policy.credentials,
      request: jsonBody(z.object({ email: Email, password: Password, displayName: text(100).optional() }).strict()),
      responses: { 201: json(Session, "Account created and signed in"), 409: json(z.any(), "Email taken"), ...errorResponses },
    }),
    async (c) =>
      c.json(await accounts.register({ ctx: { s: c.get("services") }, input: { ...c.req.valid("json"), client: clientMeta(c) } }), 201),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/auth/login",
      tags,
      ...policy.credentials,
      request: jsonBody(z.object({ email: Email, password: text(256).min(1) }).strict()),
      responses: {
        200: json(z.union([Session, MfaChallenge]), "Signed in, or (MFA on) a challenge to complete at /v1/auth/login/mfa"),
        ...errorResponses,
      },
    }),
    async (c) =>
      c.json(await accounts.login({ ctx: { s: c.get("services") }, input: { ...c.req.valid("json"), client: clientMeta(c) } }), 200),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/auth/login/mfa",
      tags,
      ...policy.credentials,
      request: jsonBody(
        z
          .object({ mfaToken: z.string().min(1).max(200), ...SecondFactor })
          .strict()
          .refine(oneFactor, { message: "send exactly one of code and recoveryCode", path: ["code"] }),
      ),
      responses: { 200: json(Session, "Signed in"), ...errorResponses },
    }),
    async (c) =>
      c.json(
        await accounts.loginWithSecondFactor({ ctx: { s: c.get("services") }, input: { ...c.req.valid("json"), client: clientMeta(c) } }),
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/auth/refresh",
      tags,
      ...policy.credentials,
      request: jsonBody(z.object({ refreshToken: z.string().min(1).max(200) }).strict()),
      responses: { 200: json(Tokens.openapi("Tokens"), "Rotated: the old refresh token is spent"), ...errorResponses },
    }),
    async (c) =>
      c.json(await refreshSession({ ctx: { s: c.get("services") }, input: { ...c.req.valid("json"), client: clientMeta(c) } }), 200),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/auth/logout",
      tags,
      ...policy.signedIn,
      responses: { 204: { description: "Signed out: refresh and access tokens of this login stop working" }, ...errorResponses },
    }),
    async (c) => {
      const auth = requireSession(c.var.auth);
      const s = c.get("services");
      const ctx = { s, userId: auth.userId };
      await revokeFamily({ ctx, input: { familyId: auth.sessionId } });
      await audit({
        ctx,
        input: { userId: auth.userId, action: "auth.logout", targetType: "session", targetId: auth.sessionId, ...clientMeta(c) },
      });
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/auth/me",
      tags,
      ...policy.signedIn,
      responses: { 200: json(User, "The signed-in user"), ...errorResponses },
    }),
    async (c) => c.json(await accounts.me({ ctx: { s: c.get("services"), userId: c.var.auth.userId } }), 200),
  );

  app.get("/.well-known/jwks.json", (c) => {
    c.header("Cache-Control", "public, max-age=300");
    return c.json({ keys: c.get("services").tokens.publicJwks });
  });
}
