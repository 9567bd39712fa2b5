import { createRoute, z } from "@hono/zod-openapi";
import { policy } from "../http/policy";
import { clientMeta, errorResponses, IdParam, json, Uuid } from "../http/route-kit";
import type { App } from "../http/types";
import { getExport, openExportDownload, requestExport } from "./export";
import { sessionCtx } from "./session";

const Export = z
  .object({
    id: Uuid,
    status: z.enum(["queued", "running", "ready", "failed"]),
    size: z.number().int().nullable().openapi({ description: "The archive's bytes, once ready" }),
    sha256: z.string().nullable(),
    createdAt: z.string(),
    finishedAt: z.string().nullable(),
    expiresAt: z.string().nullable().openapi({ description: "After this the archive is gone; ask for a new export" }),
    downloadUrl: z.string().optional().openapi({ description: "While ready: downloads the zip without a token, until downloadExpiresAt" }),
    downloadExpiresAt: z.string().optional(),
  })
  .openapi("DataExport");

const tags = ["privacy"];

export function registerExport(app: App) {
  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/me/export",
      tags,
      ...policy.signedIn,
      responses: {
        202: json(Export, "Queued; poll GET /v1/me/export/{id}. While one is queued or running, that one is returned"),
        ...errorResponses,
      },
    }),
    async (c) => {
      const { view } = await requestExport({ ctx: sessionCtx(c), input: { client: clientMeta(c) } });
      return c.json(view, 202);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/me/export/{id}",
      tags,
      ...policy.signedIn,
      request: { params: IdParam },
      responses: { 200: json(Export, "The export's status, with a fresh download link when ready"), ...errorResponses },
    }),
    async (c) => c.json(await getExport({ ctx: sessionCtx(c), input: c.req.valid("param") }), 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/public/exports/{id}",
      tags,
      // No token: the signature in the URL is the authority, and it expires.
      ...policy.open,
      request: { params: IdParam, query: z.object({ exp: z.coerce.number().int().positive(), sig: z.string().min(1).max(128) }) },
      responses: {
        200: { content: { "application/zip": { schema: z.string().openapi({ format: "binary" }) } }, description: "The archive (zip)" },
        ...errorResponses,
      },
    }),
    async (c) => {
      const { exp, sig } = c.req.valid("query");
      const got = await openExportDownload({ ctx: { s: c.get("services") }, input: { id: c.req.valid("param").id, exp, sig } });
      const day = got.createdAt.toISOString().slice(0, 10);
      return c.body(got.body, 200, {
        "Content-Type": "application/zip",
        "Content-Length": String(got.size),
        "Content-Disposition": `attachment; filename="tcc-log-export-${day}.zip"`,
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
      });
    },
  );
}
