import { createRoute, z } from "@hono/zod-openapi";
import { policy } from "../http/policy";
import { clientMeta, ErrorBody, errorResponses, json, jsonBody } from "../http/route-kit";
import type { App } from "../http/types";
import { eraseAccount } from "./erasure";
import { sessionCtx } from "./session";

const EraseBody = z
  .object({
    password: z.string().min(1).max(1024).openapi({ description: "Your password, to confirm it is you" }),
    code: z.string().max(16).optional().openapi({ description: "With MFA on: a current authenticator code…" }),
    recoveryCode: z.string().max(64).optional().openapi({ description: "…or one of your recovery codes" }),
  })
  .strict()
  .openapi("AccountErase");

const Erased = z
  .object({
    erased: z.literal(true),
    rows: z.number().int().openapi({ description: "Database rows removed" }),
    objects: z.number().int().openapi({ description: "Stored objects removed (files, derivatives, export archives)" }),
    cacheKeys: z.number().int(),
    jobs: z.number().int().openapi({ description: "Queued jobs removed" }),
    auditAnonymised: z.number().int().openapi({ description: "Audit events kept with your identity stripped" }),
  })
  .openapi("AccountErased");

export function registerErasure(app: App) {
  app.openapi(
    createRoute({
      method: "delete",
      path: "/v1/me",
      tags: ["privacy"],
      ...policy.signedIn,
      request: jsonBody(EraseBody),
      responses: {
        200: json(Erased, "Everything of yours is gone; your tokens and keys no longer work"),
        ...errorResponses,
        401: json(ErrorBody, "Wrong password or second factor (or no valid token)"),
      },
    }),
    async (c) => {
      const report = await eraseAccount({ ctx: sessionCtx(c), input: { ...c.req.valid("json"), client: clientMeta(c) } });
      return c.json({ erased: true as const, ...report }, 200);
    },
  );
}
