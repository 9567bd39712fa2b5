import { createRoute, z } from "@hono/zod-openapi";
import { policy } from "../http/policy";
import { ctxOf, ErrorBody, errorResponses, IdParam, json, jsonBody, text, Uuid } from "../http/route-kit";
import type { App } from "../http/types";
import * as tagService from "./tags";

const Tag = z
  .object({
    id: Uuid,
    name: z.string(),
    entryCount: z.number().int().openapi({ description: "Entries carrying the tag, not counting the trash" }),
    createdAt: z.string(),
  })
  .openapi("Tag");

const TagList = z.object({ items: z.array(Tag) }).openapi("TagList");

const TagRename = z
  .object({ name: text(64).trim().min(1) })
  .strict()
  .openapi("TagRename");

const TagMerge = z
  .object({ into: Uuid.openapi({ description: "The tag that receives the entries and survives" }) })
  .strict()
  .openapi("TagMerge");

const conflict = { 409: json(ErrorBody, "Another tag already has this name") };
const tags = ["tags"];

export function registerTags(app: App) {
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/tags",
      tags,
      ...policy.signedIn,
      responses: { 200: json(TagList, "Your tags, by name"), ...errorResponses },
    }),
    async (c) => c.json({ items: await tagService.listTags({ ctx: ctxOf(c, "tags:read") }) }, 200),
  );

  app.openapi(
    createRoute({
      method: "patch",
      path: "/v1/tags/{id}",
      tags,
      ...policy.signedIn,
      request: { params: IdParam, ...jsonBody(TagRename) },
      responses: { 200: json(Tag, "Renamed"), ...errorResponses, ...conflict },
    }),
    async (c) =>
      c.json(
        await tagService.renameTag({ ctx: ctxOf(c, "tags:write"), input: { id: c.req.valid("param").id, name: c.req.valid("json").name } }),
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/tags/{id}/merge",
      tags,
      ...policy.signedIn,
      description: "Moves every entry of tag {id} to tag `into` and deletes {id}.",
      request: { params: IdParam, ...jsonBody(TagMerge) },
      responses: { 200: json(Tag, "The surviving tag"), ...errorResponses },
    }),
    async (c) =>
      c.json(
        await tagService.mergeTag({ ctx: ctxOf(c, "tags:write"), input: { id: c.req.valid("param").id, into: c.req.valid("json").into } }),
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/v1/tags/{id}",
      tags,
      ...policy.signedIn,
      request: { params: IdParam },
      responses: { 204: { description: "Deleted; entries lose the tag" }, ...errorResponses },
    }),
    async (c) => {
      await tagService.deleteTag({ ctx: ctxOf(c, "tags:write"), input: c.req.valid("param") });
      return c.body(null, 204);
    },
  );
}
