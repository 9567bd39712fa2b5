import { createRoute, z } from "@hono/zod-openapi";
import { IdempotencyHeader, idempotent } from "../http/idempotency";
import { policy } from "../http/policy";
import { CursorParam, ctxOf, errorResponses, IdParam, json, jsonBody, Limit, page, Timestamp, text, Uuid } from "../http/route-kit";
import type { App } from "../http/types";
import * as galleries from "./galleries";
import * as items from "./gallery-items";
import { registerPublicGalleries } from "./public-galleries.routes";

const Visibility = z.enum(["private", "unlisted", "public"]).openapi({ description: "unlisted and public galleries are readable by slug" });

const ItemFile = z.object({ id: Uuid, mime: z.string(), size: z.number().int(), name: z.string().nullable() }).openapi("GalleryItemFile");
export const Item = z
  .object({ id: Uuid, fileId: Uuid, caption: z.string().nullable(), position: z.number().int(), file: ItemFile })
  .openapi("GalleryItem");

const Gallery = z
  .object({
    id: Uuid,
    title: z.string(),
    description: z.string().nullable(),
    slug: z.string().openapi({ description: "Secret path segment for /v1/public/galleries/{slug}" }),
    visibility: Visibility,
    coverFileId: Uuid.nullable(),
    hasPassword: z.boolean(),
    expiresAt: z.string().nullable(),
    version: z.number().int().openapi({ description: "Bumped by every change to the gallery or its items" }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Gallery");
const GalleryWithItems = Gallery.extend({ items: z.array(Item) }).openapi("GalleryWithItems");

const Password = z.string().min(8).max(200).openapi({
  description: "Readers of the shared gallery must send it; at least 8 characters (guesses are limited, but each costs an argon2 check)",
});
const GalleryCreate = z
  .object({
    title: text(500).min(1),
    description: text(5000).nullable().optional(),
    visibility: Visibility.optional(),
    password: Password.nullable().optional(),
    expiresAt: Timestamp.nullable().optional(),
  })
  .strict()
  .openapi("GalleryCreate");
const GalleryPatch = GalleryCreate.partial()
  .extend({ coverFileId: Uuid.nullable().optional().openapi({ description: "A file of one of the gallery's items; null clears" }) })
  .strict()
  .openapi("GalleryPatch", { description: "password, expiresAt and coverFileId null clear them" });

const ItemCreate = z
  .object({ fileId: Uuid.openapi({ description: "One of your files" }), caption: text(2000).nullable().optional() })
  .strict()
  .openapi("GalleryItemCreate");
const ItemPatch = z
  .object({ caption: text(2000).nullable() })
  .strict()
  .openapi("GalleryItemPatch");
const Order = z
  .object({ itemIds: z.array(Uuid).max(10_000).openapi({ description: "Every item id of the gallery, once, in the new order" }) })
  .strict()
  .openapi("GalleryOrder");
const ItemParams = z.object({
  id: Uuid.openapi({ param: { name: "id", in: "path" } }),
  itemId: Uuid.openapi({ param: { name: "itemId", in: "path" } }),
});

const tags = ["galleries"];

export function registerGalleries(app: App) {
  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/galleries",
      tags,
      ...policy.signedIn,
      request: { headers: IdempotencyHeader, ...jsonBody(GalleryCreate) },
      responses: { 201: json(Gallery, "Created (private unless visibility says otherwise)"), ...errorResponses },
    }),
    async (c) => {
      const ctx = ctxOf(c, "galleries:write");
      const input = c.req.valid("json");
      const key = c.req.valid("header")["idempotency-key"];
      const { status, body } = await idempotent({ ctx, input: { key, route: "POST /v1/galleries", request: input } }, async () => ({
        status: 201,
        body: await galleries.createGallery({ ctx, input }),
      }));
      return c.json(body, status);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/galleries",
      tags,
      ...policy.signedIn,
      request: { query: z.object({ limit: Limit, cursor: CursorParam }) },
      responses: { 200: json(page(Gallery, "GalleryPage"), "A page of galleries, newest first"), ...errorResponses },
    }),
    async (c) => c.json(await galleries.listGalleries({ ctx: ctxOf(c, "galleries:read"), input: c.req.valid("query") }), 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/galleries/{id}",
      tags,
      ...policy.signedIn,
      request: { params: IdParam },
      responses: { 200: json(GalleryWithItems, "The gallery and its items in order"), ...errorResponses },
    }),
    async (c) => c.json(await galleries.getGallery({ ctx: ctxOf(c, "galleries:read"), input: c.req.valid("param") }), 200),
  );

  app.openapi(
    createRoute({
      method: "patch",
      path: "/v1/galleries/{id}",
      tags,
      ...policy.signedIn,
      request: { params: IdParam, ...jsonBody(GalleryPatch) },
      responses: { 200: json(Gallery, "Updated"), ...errorResponses },
    }),
    async (c) =>
      c.json(
        await galleries.updateGallery({
          ctx: ctxOf(c, "galleries:write"),
          input: { id: c.req.valid("param").id, patch: c.req.valid("json") },
        }),
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/v1/galleries/{id}",
      tags,
      ...policy.signedIn,
      request: { params: IdParam },
      responses: { 204: { description: "Deleted" }, ...errorResponses },
    }),
    async (c) => {
      await galleries.deleteGallery({ ctx: ctxOf(c, "galleries:write"), input: c.req.valid("param") });
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/galleries/{id}/items",
      tags,
      ...policy.signedIn,
      request: { params: IdParam, headers: IdempotencyHeader, ...jsonBody(ItemCreate) },
      responses: { 201: json(Item, "Appended"), ...errorResponses },
    }),
    async (c) => {
      const ctx = ctxOf(c, "galleries:write");
      const { id } = c.req.valid("param");
      const input = c.req.valid("json");
      const key = c.req.valid("header")["idempotency-key"];
      const { status, body } = await idempotent(
        { ctx, input: { key, route: `POST /v1/galleries/${id}/items`, request: input } },
        async () => ({
          status: 201,
          body: await items.addItem({ ctx, input: { galleryId: id, ...input } }),
        }),
      );
      return c.json(body, status);
    },
  );

  app.openapi(
    createRoute({
      method: "patch",
      path: "/v1/galleries/{id}/items/{itemId}",
      tags,
      ...policy.signedIn,
      request: { params: ItemParams, ...jsonBody(ItemPatch) },
      responses: { 200: json(Item, "Updated"), ...errorResponses },
    }),
    async (c) => {
      const { id, itemId } = c.req.valid("param");
      return c.json(
        await items.updateItem({
          ctx: ctxOf(c, "galleries:write"),
          input: { galleryId: id, itemId, caption: c.req.valid("json").caption },
        }),
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/v1/galleries/{id}/items/{itemId}",
      tags,
      ...policy.signedIn,
      request: { params: ItemParams },
      responses: { 204: { description: "Removed" }, ...errorResponses },
    }),
    async (c) => {
      const { id, itemId } = c.req.valid("param");
      await items.removeItem({ ctx: ctxOf(c, "galleries:write"), input: { galleryId: id, itemId } });
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/v1/galleries/{id}/order",
      tags,
      ...policy.signedIn,
      request: { params: IdParam, ...jsonBody(Order) },
      responses: { 200: json(z.object({ items: z.array(Item) }), "The items in their new order"), ...errorResponses },
    }),
    async (c) => {
      const input = { galleryId: c.req.valid("param").id, itemIds: c.req.valid("json").itemIds };
      const list = await items.reorder({ ctx: ctxOf(c, "galleries:write"), input });
      return c.json({ items: list }, 200);
    },
  );

  registerPublicGalleries(app);
}
