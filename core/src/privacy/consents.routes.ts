import { createRoute, z } from "@hono/zod-openapi";
import { policy } from "../http/policy";
import { clientMeta, errorResponses, json, jsonBody, Uuid } from "../http/route-kit";
import type { App } from "../http/types";
import { CONSENT_TYPES, listConsents, recordConsent } from "./consents";
import { sessionCtx } from "./session";

const ConsentType = z.enum(CONSENT_TYPES).openapi({ description: "What the consent is for" });
const Consent = z.object({ id: Uuid, type: ConsentType, granted: z.boolean(), at: z.string() }).openapi("Consent");
const ConsentState = z
  .object({
    current: z.array(Consent).openapi({ description: "The latest record of each type ever recorded" }),
    history: z.array(Consent).openapi({ description: "Every record, newest first" }),
  })
  .openapi("ConsentState");
const ConsentCreate = z.object({ type: ConsentType, granted: z.boolean() }).strict().openapi("ConsentCreate");

const tags = ["privacy"];

export function registerConsents(app: App) {
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/me/consents",
      tags,
      ...policy.signedIn,
      request: { query: z.object({ type: ConsentType.optional() }) },
      responses: { 200: json(ConsentState, "Your consents: where each stands, and their history"), ...errorResponses },
    }),
    async (c) => c.json(await listConsents({ ctx: sessionCtx(c), input: c.req.valid("query") }), 200),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/me/consents",
      tags,
      ...policy.signedIn,
      request: jsonBody(ConsentCreate),
      responses: { 201: json(Consent, "Recorded (granted or withdrawn); earlier records stay"), ...errorResponses },
    }),
    async (c) => c.json(await recordConsent({ ctx: sessionCtx(c), input: { ...c.req.valid("json"), client: clientMeta(c) } }), 201),
  );
}
