import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { requireSession } from "../auth/identify";
import { policy } from "../http/policy";
import { clientMeta, errorResponses, json, jsonBody, text } from "../http/route-kit";
import type { App, AppEnv, SignedInEnv } from "../http/types";
import { oneFactor, SecondFactor } from "./auth.routes";
import * as mfa from "./mfa";

const Code = z.object({ code: z.string().regex(/^\d{6}$/, "must be 6 digits") }).strict();
const RecoveryCodes = z
  .object({ recoveryCodes: z.array(z.string()).openapi({ description: "Shown once; each works once in place of a code" }) })
  .openapi("RecoveryCodes");
const Status = z
  .object({ enabled: z.boolean(), pending: z.boolean(), enabledAt: z.string().nullable(), recoveryCodesRemaining: z.number().int() })
  .openapi("MfaStatus");
const Enrolment = z
  .object({
    secret: z.string().openapi({ description: "Base32, for typing into an authenticator app" }),
    otpauthUri: z.string().openapi({ description: "otpauth://totp/… — the content of the QR code to show" }),
    algorithm: z.literal("SHA1"),
    digits: z.literal(6),
    period: z.literal(30),
  })
  .openapi("TotpEnrolment");

const tags = ["mfa"];
const conflict = { 409: json(z.any(), "MFA is already on / not on / no enrolment started") };

/** MFA is managed from a signed-in session only: an API key cannot change how its owner signs in. */
const sessionCtx = (c: Context<AppEnv & SignedInEnv>) => ({ userId: requireSession(c.var.auth).userId, s: c.get("services") });

export function registerMfa(app: App) {
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/me/mfa",
      tags,
      ...policy.signedIn,
      responses: { 200: json(Status, "Whether MFA is on"), ...errorResponses },
    }),
    async (c) => c.json(await mfa.mfaStatus({ ctx: sessionCtx(c) }), 200),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/me/mfa/totp",
      tags,
      ...policy.signedIn,
      responses: { 201: json(Enrolment, "A new authenticator secret; confirm it with a code"), ...conflict, ...errorResponses },
    }),
    async (c) => c.json(await mfa.startTotp({ ctx: sessionCtx(c), input: { client: clientMeta(c) } }), 201),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/me/mfa/totp/confirm",
      tags,
      ...policy.signedIn,
      request: jsonBody(Code),
      responses: { 200: json(RecoveryCodes, "MFA is on"), ...conflict, ...errorResponses },
    }),
    async (c) => c.json(await mfa.confirmTotp({ ctx: sessionCtx(c), input: { ...c.req.valid("json"), client: clientMeta(c) } }), 200),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/me/mfa/disable",
      tags,
      ...policy.signedIn,
      request: jsonBody(
        z
          .object({
            password: text(256).min(1).optional().openapi({ description: "Required when the account has a password" }),
            ...SecondFactor,
          })
          .strict()
          .refine(oneFactor, { message: "send exactly one of code and recoveryCode", path: ["code"] }),
      ),
      responses: { 204: { description: "MFA is off; recovery codes are deleted" }, ...conflict, ...errorResponses },
    }),
    async (c) => {
      await mfa.disableMfa({ ctx: sessionCtx(c), input: { ...c.req.valid("json"), client: clientMeta(c) } });
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/me/mfa/recovery-codes",
      tags,
      ...policy.signedIn,
      request: jsonBody(Code),
      responses: { 200: json(RecoveryCodes, "New recovery codes; the old ones no longer work"), ...conflict, ...errorResponses },
    }),
    async (c) =>
      c.json(await mfa.regenerateRecoveryCodes({ ctx: sessionCtx(c), input: { ...c.req.valid("json"), client: clientMeta(c) } }), 200),
  );
}
