import { createRoute, z } from "@hono/zod-openapi";
import { IdempotencyHeader, idempotent } from "../http/idempotency";
import { policy } from "../http/policy";
import { CursorParam, ctxOf, errorResponses, IdParam, json, jsonBody, Limit, page, text, Uuid } from "../http/route-kit";
import type { App } from "../http/types";
import { isHttpUrl } from "../lib/http-url";
import * as links from "./links";

const Link = z
  .object({
    id: Uuid,
    url: z.string(),
    title: z.string().nullable(),
    description: z.string().nullable(),
    entryId: Uuid.nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Link");

// Trimmed, then stored exactly as given: normalising (new URL().href) could change what the user pasted.
const HttpUrl = z
  .string()
  .trim()
  .max(2048)
  .refine(isHttpUrl, "must be an absolute http:// or https:// URL without spaces")
  .openapi({ description: "Absolute http(s) URL, up to 2048 characters", example: "https://example.com/article" });

const LinkCreate = z
  .object({
    url: HttpUrl,
    title: text(500).nullable().optional(),
    description: text(2000).nullable().optional(),
    entryId: Uuid.nullable().optional().openapi({ description: "An entry of yours to attach the link to" }),
  })
  .strict()
  .openapi("LinkCreate");

const LinkPatch = LinkCreate.partial().strict().openapi("LinkPatch", { description: "entryId null detaches the link" });

const ListQuery = z.object({
  entryId: Uuid.optional().openapi({ description: "Only the links of this entry" }),
  limit: Limit,
  cursor: CursorParam,
});

const tags = ["links"];

export function registerLinks(app: App) {
  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/links",
      tags,
      ...policy.signedIn,
      request: { headers: IdempotencyHeader, ...jsonBody(LinkCreate) },
      responses: { 201: json(Link, "Created"), ...errorResponses },
    }),
    async (c) => {
      const ctx = ctxOf(c, "links:write");
      const input = c.req.valid("json");
      const key = c.req.valid("header")["idempotency-key"];
      const { status, body } = await idempotent({ ctx, input: { key, route: "POST /v1/links", request: input } }, async () => ({
        status: 201,
        body: await links.createLink({ ctx, input }),
      }));
      return c.json(body, status);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/links",
      tags,
      ...policy.signedIn,
      request: { query: ListQuery },
      responses: { 200: json(page(Link, "LinkPage"), "A page of links, newest first"), ...errorResponses },
    }),
    async (c) => c.json(await links.listLinks({ ctx: ctxOf(c, "links:read"), input: c.req.valid("query") }), 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/links/{id}",
      tags,
      ...policy.signedIn,
      request: { params: IdParam },
      responses: { 200: json(Link, "The link"), ...errorResponses },
    }),
    async (c) => c.json(await links.getLink({ ctx: ctxOf(c, "links:read"), input: c.req.valid("param") }), 200),
  );

  app.openapi(
    createRoute({
      method: "patch",
      path: "/v1/links/{id}",
      tags,
      ...policy.signedIn,
      request: { params: IdParam, ...jsonBody(LinkPatch) },
      responses: { 200: json(Link, "Updated"), ...errorResponses },
    }),
    async (c) =>
      c.json(
        await links.updateLink({ ctx: ctxOf(c, "links:write"), input: { id: c.req.valid("param").id, patch: c.req.valid("json") } }),
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/v1/links/{id}",
      tags,
      ...policy.signedIn,
      request: { params: IdParam },
      responses: { 204: { description: "Deleted" }, ...errorResponses },
    }),
    async (c) => {
      await links.deleteLink({ ctx: ctxOf(c, "links:write"), input: c.req.valid("param") });
      return c.body(null, 204);
    },
  );
}
