import { createRoute, z } from "@hono/zod-openapi";
import { IdempotencyHeader, idempotent } from "../http/idempotency";
import { policy } from "../http/policy";
import { ctxOf, ErrorBody, errorResponses, IdParam, json, jsonBody, text, Uuid } from "../http/route-kit";
import type { App } from "../http/types";
import * as topics from "./topics";

export const Topic = z
  .object({
    id: Uuid,
    name: z.string(),
    description: z.string().nullable(),
    entryCount: z.number().int().openapi({ description: "Entries in the topic, not counting the trash" }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Topic");

const TopicList = z.object({ items: z.array(Topic) }).openapi("TopicList");

const TopicCreate = z
  .object({
    name: text(200).trim().min(1).openapi({ description: "Unique per user, ignoring case (Unicode case folding) and accent encoding" }),
    description: text(2000).nullable().optional(),
  })
  .strict()
  .openapi("TopicCreate");

const TopicPatch = TopicCreate.partial().strict().openapi("TopicPatch");

const conflict = { 409: json(ErrorBody, "Another topic already has this name") };
const tags = ["topics"];

export function registerTopics(app: App) {
  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/topics",
      tags,
      ...policy.signedIn,
      request: { headers: IdempotencyHeader, ...jsonBody(TopicCreate) },
      responses: { 201: json(Topic, "Created"), ...errorResponses, ...conflict },
    }),
    async (c) => {
      const ctx = ctxOf(c, "topics:write");
      const input = c.req.valid("json");
      const key = c.req.valid("header")["idempotency-key"];
      const { status, body } = await idempotent({ ctx, input: { key, route: "POST /v1/topics", request: input } }, async () => ({
        status: 201,
        body: await topics.createTopic({ ctx, input }),
      }));
      return c.json(body, status);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/topics",
      tags,
      ...policy.signedIn,
      responses: { 200: json(TopicList, "Your topics, by name"), ...errorResponses },
    }),
    async (c) => c.json({ items: await topics.listTopics({ ctx: ctxOf(c, "topics:read") }) }, 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/topics/{id}",
      tags,
      ...policy.signedIn,
      request: { params: IdParam },
      responses: { 200: json(Topic, "The topic"), ...errorResponses },
    }),
    async (c) => c.json(await topics.getTopic({ ctx: ctxOf(c, "topics:read"), input: c.req.valid("param") }), 200),
  );

  app.openapi(
    createRoute({
      method: "patch",
      path: "/v1/topics/{id}",
      tags,
      ...policy.signedIn,
      request: { params: IdParam, ...jsonBody(TopicPatch) },
      responses: { 200: json(Topic, "Updated"), ...errorResponses, ...conflict },
    }),
    async (c) =>
      c.json(
        await topics.updateTopic({ ctx: ctxOf(c, "topics:write"), input: { id: c.req.valid("param").id, patch: c.req.valid("json") } }),
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/v1/topics/{id}",
      tags,
      ...policy.signedIn,
      request: { params: IdParam },
      responses: { 204: { description: "Deleted; its entries stay, without a topic" }, ...errorResponses },
    }),
    async (c) => {
      await topics.deleteTopic({ ctx: ctxOf(c, "topics:write"), input: c.req.valid("param") });
      return c.body(null, 204);
    },
  );
}
