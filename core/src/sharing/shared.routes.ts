import { createRoute, z } from "@hono/zod-openapi";
import { Entry, MAX_CONTENT } from "../entries/entries.routes";
import { Topic } from "../entries/topics.routes";
import { contentResponses, serveFile } from "../files/file-content.routes";
import { representation } from "../files/images/derivatives";
import { Item } from "../galleries/galleries.routes";
import { policy } from "../http/policy";
import {
  CursorParam,
  ctxOf,
  ErrorBody,
  errorResponses,
  IdParam,
  json,
  jsonBody,
  Limit,
  page,
  Timestamp,
  text,
  Uuid,
} from "../http/route-kit";
import type { App } from "../http/types";
import * as shared from "./shared";
import { Permission, ResourceType } from "./shares.routes";

const Owner = z.object({ id: Uuid, email: z.string(), displayName: z.string().nullable() }).openapi("ShareOwner");
const Info = { sharedBy: Owner, permission: Permission };

const SharedItem = z
  .object({
    shareId: Uuid,
    resourceType: ResourceType,
    resourceId: Uuid,
    title: z.string().openapi({ description: "The entry's or gallery's title, the topic's name" }),
    sharedAt: z.string(),
    ...Info,
  })
  .openapi("SharedItem");

const SharedEntry = Entry.extend(Info).openapi("SharedEntry");
const SharedTopic = Topic.extend(Info).openapi("SharedTopic");
const SharedGallery = z
  .object({
    id: Uuid,
    title: z.string(),
    description: z.string().nullable(),
    coverFileId: Uuid.nullable(),
    version: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
    items: z.array(Item).openapi({ description: "Download each file with GET /v1/shared/files/{fileId}/content" }),
    ...Info,
  })
  .openapi("SharedGallery");

const forbidden = {
  ...errorResponses,
  403: json(errorResponses[403].content["application/json"].schema, "Shared with you read-only (or the API key lacks the scope)"),
};

const SharedEntryPatch = z
  .object({
    title: text(500).min(1),
    content: text(MAX_CONTENT),
    occurredAt: Timestamp,
    tags: z.array(text(64).min(1)).max(50).openapi({ description: "The owner's tag names; unknown ones are created for the owner" }),
  })
  .partial()
  .strict()
  .openapi("SharedEntryPatch", { description: "Topic and files stay the owner's to change" });
const SharedTopicPatch = z
  .object({ name: text(200).trim().min(1), description: text(2000).nullable() })
  .partial()
  .strict()
  .openapi("SharedTopicPatch");
const SharedGalleryPatch = z
  .object({ title: text(500).min(1), description: text(5000).nullable() })
  .partial()
  .strict()
  .openapi("SharedGalleryPatch", { description: "Visibility, password, expiry and items stay the owner's to change" });

const tags = ["sharing"];

export function registerShared(app: App) {
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/shared",
      tags,
      ...policy.signedIn,
      request: { query: z.object({ type: ResourceType.optional(), limit: Limit, cursor: CursorParam }) },
      responses: { 200: json(page(SharedItem, "SharedItemPage"), "What others shared with you, newest first"), ...errorResponses },
    }),
    async (c) => {
      // Listing what is shared touches every kind; an API key needs the read scope of each.
      const ctx = ctxOf(c, "entries:read");
      ctxOf(c, "topics:read");
      ctxOf(c, "galleries:read");
      return c.json(await shared.listSharedWithMe({ ctx, input: c.req.valid("query") }), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/shared/entries/{id}",
      tags,
      ...policy.signedIn,
      request: { params: IdParam },
      responses: { 200: json(SharedEntry, "An entry shared with you (directly or through its topic)"), ...errorResponses },
    }),
    async (c) => c.json(await shared.getSharedEntry({ ctx: ctxOf(c, "entries:read"), input: c.req.valid("param") }), 200),
  );

  app.openapi(
    createRoute({
      method: "patch",
      path: "/v1/shared/entries/{id}",
      tags,
      ...policy.signedIn,
      request: { params: IdParam, ...jsonBody(SharedEntryPatch) },
      responses: { 200: json(SharedEntry, "Updated (needs an edit grant)"), ...forbidden },
    }),
    async (c) =>
      c.json(
        await shared.updateSharedEntry({
          ctx: ctxOf(c, "entries:write"),
          input: { id: c.req.valid("param").id, patch: c.req.valid("json") },
        }),
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/shared/topics/{id}",
      tags,
      ...policy.signedIn,
      request: { params: IdParam },
      responses: { 200: json(SharedTopic, "A topic shared with you"), ...errorResponses },
    }),
    async (c) => c.json(await shared.getSharedTopic({ ctx: ctxOf(c, "topics:read"), input: c.req.valid("param") }), 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/shared/topics/{id}/entries",
      tags,
      ...policy.signedIn,
      request: { params: IdParam, query: z.object({ limit: Limit, cursor: CursorParam }) },
      responses: { 200: json(page(Entry, "SharedTopicEntryPage"), "The topic's entries, latest occurredAt first"), ...errorResponses },
    }),
    async (c) => {
      const ctx = ctxOf(c, "entries:read");
      ctxOf(c, "topics:read");
      return c.json(await shared.listSharedTopicEntries({ ctx, input: { ...c.req.valid("query"), id: c.req.valid("param").id } }), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "patch",
      path: "/v1/shared/topics/{id}",
      tags,
      ...policy.signedIn,
      request: { params: IdParam, ...jsonBody(SharedTopicPatch) },
      responses: {
        200: json(SharedTopic, "Updated (needs an edit grant)"),
        ...forbidden,
        409: json(ErrorBody, "The owner has a topic of this name"),
      },
    }),
    async (c) =>
      c.json(
        await shared.updateSharedTopic({
          ctx: ctxOf(c, "topics:write"),
          input: { id: c.req.valid("param").id, patch: c.req.valid("json") },
        }),
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/shared/galleries/{id}",
      tags,
      ...policy.signedIn,
      request: { params: IdParam },
      responses: { 200: json(SharedGallery, "A gallery shared with you, with its items"), ...errorResponses },
    }),
    async (c) => c.json(await shared.getSharedGallery({ ctx: ctxOf(c, "galleries:read"), input: c.req.valid("param") }), 200),
  );

  app.openapi(
    createRoute({
      method: "patch",
      path: "/v1/shared/galleries/{id}",
      tags,
      ...policy.signedIn,
      request: { params: IdParam, ...jsonBody(SharedGalleryPatch) },
      responses: { 200: json(SharedGallery, "Updated (needs an edit grant)"), ...forbidden },
    }),
    async (c) =>
      c.json(
        await shared.updateSharedGallery({
          ctx: ctxOf(c, "galleries:write"),
          input: { id: c.req.valid("param").id, patch: c.req.valid("json") },
        }),
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/shared/files/{id}/content",
      tags,
      ...policy.signedIn,
      request: { params: IdParam },
      responses: contentResponses,
    }),
    async (c) => {
      const row = await shared.findSharedWithMeFile({ ctx: ctxOf(c, "files:read"), input: c.req.valid("param") });
      return serveFile(c, representation(row));
    },
  );
}
