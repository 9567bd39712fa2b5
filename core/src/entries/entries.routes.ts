import { createRoute, z } from "@hono/zod-openapi";
import { IdempotencyHeader, idempotent } from "../http/idempotency";
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
  sendJson,
  Timestamp,
  text,
  Uuid,
} from "../http/route-kit";
import type { App } from "../http/types";
import * as entries from "./entries";
import { attachFile, detachFile } from "./entry-files";

export const MAX_CONTENT = 1024 * 1024;

const Tags = z.array(text(64).min(1)).max(50);
const FileIds = z.array(Uuid).max(100);

export const Entry = z
  .object({
    id: Uuid,
    title: z.string(),
    content: z.string(),
    topicId: Uuid.nullable(),
    tags: z.array(z.string()),
    fileIds: z.array(Uuid).openapi({ description: "Attached files (not deleted ones), oldest file first" }),
    occurredAt: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
    deletedAt: z.string().nullable(),
  })
  .openapi("Entry");

const EntryCreate = z
  .object({
    title: text(500).min(1),
    content: text(MAX_CONTENT).optional().openapi({ description: "Markdown, up to 1 MiB" }),
    topicId: Uuid.nullable().optional(),
    tags: Tags.optional().openapi({ description: "Tag names, compared ignoring case (Unicode case folding); unknown ones are created" }),
    occurredAt: Timestamp.optional().openapi({ description: "When it happened; defaults to now (back-dating allowed)" }),
    fileIds: FileIds.optional().openapi({ description: "Your files to attach; in a PATCH, the whole new set" }),
  })
  .strict()
  .openapi("EntryCreate");

const EntryPatch = EntryCreate.partial().strict().openapi("EntryPatch");

/** Filters shared with search. `tag` may repeat or hold a comma list; all must match. */
export const EntryFilterQuery = z.object({
  tag: z
    .union([z.string(), z.array(z.string())])
    .optional()
    .transform((v) => (v === undefined ? undefined : (Array.isArray(v) ? v : [v]).flatMap((t) => t.split(","))))
    .openapi({ description: "Tag name; repeat or comma-separate for entries carrying all of them" }),
  topicId: Uuid.optional(),
  from: Timestamp.optional().openapi({ description: "occurredAt ≥ from" }),
  to: Timestamp.optional().openapi({ description: "occurredAt ≤ to" }),
  limit: Limit,
  cursor: CursorParam,
});

const ListQuery = EntryFilterQuery.extend({
  sort: z.enum(["occurredAt", "createdAt", "updatedAt"]).default("occurredAt"),
  order: z.enum(["asc", "desc"]).default("desc"),
  deleted: z
    .enum(["true", "false"])
    .default("false")
    .transform((v) => v === "true")
    .openapi({ description: "true lists the trash instead" }),
});

const DeleteQuery = z.object({
  purge: z
    .enum(["true", "false"])
    .default("false")
    .transform((v) => v === "true")
    .openapi({ description: "true removes the entry for good instead of moving it to the trash" }),
});

const AttachBody = z.object({ fileId: Uuid }).strict().openapi("EntryFileAttach");
const AttachmentParams = z.object({
  id: Uuid.openapi({ param: { name: "id", in: "path" } }),
  fileId: Uuid.openapi({ param: { name: "fileId", in: "path" } }),
});

const tags = ["entries"];

export function registerEntries(app: App) {
  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/entries",
      tags,
      ...policy.signedIn,
      request: { headers: IdempotencyHeader, ...jsonBody(EntryCreate) },
      responses: {
        201: json(Entry, "Created"),
        409: json(ErrorBody, "The Idempotency-Key is in use, or a tag was deleted meanwhile (nothing written: try again)"),
        ...errorResponses,
      },
    }),
    async (c) => {
      const ctx = ctxOf(c, "entries:write");
      const input = c.req.valid("json");
      const key = c.req.valid("header")["idempotency-key"];
      const { status, body } = await idempotent({ ctx, input: { key, route: "POST /v1/entries", request: input } }, async () => ({
        status: 201,
        body: await entries.createEntry({ ctx, input }),
      }));
      return c.json(body, status);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/entries",
      tags,
      ...policy.signedIn,
      request: { query: ListQuery },
      responses: { 200: json(page(Entry, "EntryPage"), "A page of entries"), ...errorResponses },
    }),
    async (c) => {
      const { tag, ...query } = c.req.valid("query");
      return sendJson(c, await entries.listEntries({ ctx: ctxOf(c, "entries:read"), input: { ...query, tags: tag } }), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/entries/{id}",
      tags,
      ...policy.signedIn,
      request: { params: IdParam },
      responses: { 200: json(Entry, "The entry"), ...errorResponses },
    }),
    async (c) => sendJson(c, await entries.getEntry({ ctx: ctxOf(c, "entries:read"), input: c.req.valid("param") }), 200),
  );

  app.openapi(
    createRoute({
      method: "patch",
      path: "/v1/entries/{id}",
      tags,
      ...policy.signedIn,
      request: { params: IdParam, ...jsonBody(EntryPatch) },
      responses: { 200: json(Entry, "Updated"), ...errorResponses },
    }),
    async (c) =>
      c.json(
        await entries.updateEntry({ ctx: ctxOf(c, "entries:write"), input: { id: c.req.valid("param").id, patch: c.req.valid("json") } }),
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/v1/entries/{id}",
      tags,
      ...policy.signedIn,
      request: { params: IdParam, query: DeleteQuery },
      responses: { 204: { description: "Deleted" }, ...errorResponses },
    }),
    async (c) => {
      const ctx = ctxOf(c, "entries:write");
      const { id } = c.req.valid("param");
      await (c.req.valid("query").purge ? entries.purgeEntry({ ctx, input: { id } }) : entries.deleteEntry({ ctx, input: { id } }));
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/entries/{id}/restore",
      tags,
      ...policy.signedIn,
      request: { params: IdParam },
      responses: { 200: json(Entry, "Restored from the trash"), ...errorResponses },
    }),
    async (c) => c.json(await entries.restoreEntry({ ctx: ctxOf(c, "entries:write"), input: c.req.valid("param") }), 200),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/entries/{id}/files",
      tags,
      ...policy.signedIn,
      description: "Attaches one of your files; attaching it again changes nothing. The file itself is never deleted with the entry.",
      request: { params: IdParam, ...jsonBody(AttachBody) },
      responses: { 200: json(Entry, "The entry with the file attached"), ...errorResponses },
    }),
    async (c) => {
      const ctx = ctxOf(c, "entries:write");
      const { id } = c.req.valid("param");
      await attachFile({ ctx, input: { entryId: id, fileId: c.req.valid("json").fileId } });
      return c.json(await entries.getEntry({ ctx, input: { id } }), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/v1/entries/{id}/files/{fileId}",
      tags,
      ...policy.signedIn,
      description: "Detaches the file from the entry; the file stays.",
      request: { params: AttachmentParams },
      responses: { 204: { description: "Detached" }, ...errorResponses },
    }),
    async (c) => {
      const { id, fileId } = c.req.valid("param");
      await detachFile({ ctx: ctxOf(c, "entries:write"), input: { entryId: id, fileId } });
      return c.body(null, 204);
    },
  );
}
