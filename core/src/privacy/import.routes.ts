import { z } from "@hono/zod-openapi";
import { policy, uploadGuard } from "../http/policy";
import { clientMeta, errorResponses, json } from "../http/route-kit";
import type { App } from "../http/types";
import { importArchive, readCapped } from "./import";
import { sessionCtx } from "./session";

const Imported = z
  .object({
    entries: z.number().int(),
    topics: z.number().int(),
    links: z.number().int(),
    files: z.number().int(),
    galleries: z.number().int(),
    conversations: z.number().int(),
    consents: z.number().int(),
  })
  .openapi("ImportReport");

export function registerImport(app: App) {
  app.openAPIRegistry.registerPath({
    method: "post",
    path: "/v1/me/import",
    tags: ["privacy"],
    security: policy.signedIn.security,
    description:
      "Imports an export archive (the zip of POST /v1/me/export, from this or another instance) into your account, as new objects. Up to MAX_FILE_BYTES.",
    request: { body: { content: { "application/zip": { schema: z.string().openapi({ format: "binary" }) } }, required: true } },
    responses: {
      201: json(Imported, "What was imported"),
      ...errorResponses,
      413: json(errorResponses[400].content["application/json"].schema, "Too large"),
    },
  });
  // The archive streams in under the upload limit (MAX_FILE_BYTES), not the JSON body limit.
  app.post("/v1/me/import", uploadGuard, async (c) => {
    const ctx = sessionCtx(c);
    const bytes = await readCapped(c.req.raw.body, ctx.s.env.MAX_FILE_BYTES);
    return c.json(await importArchive({ ctx, input: { bytes, client: clientMeta(c) } }), 201);
  });
}
