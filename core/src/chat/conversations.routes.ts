import { createRoute, z } from "@hono/zod-openapi";
import { policy } from "../http/policy";
import { CursorParam, ctxOf, errorResponses, IdParam, json, Limit, page, Uuid } from "../http/route-kit";
import type { App } from "../http/types";
import * as conversations from "./conversations";

const Citation = z.object({ entryId: Uuid, title: z.string(), date: z.string() }).openapi("Citation");

const Message = z
  .object({
    id: Uuid,
    role: z.enum(["user", "assistant"]),
    content: z.string(),
    toolCalls: z.array(z.object({ name: z.string(), arguments: z.string(), ok: z.boolean() })),
    citations: z.array(Citation),
    createdAt: z.string(),
  })
  .openapi("Message");

const Conversation = z
  .object({
    id: Uuid,
    title: z.string().nullable().openapi({ description: "The first question, shortened" }),
    createdAt: z.string(),
    updatedAt: z.string().openapi({ description: "When the last message was added" }),
  })
  .openapi("Conversation");

const ConversationWithMessages = Conversation.extend({ messages: z.array(Message) }).openapi("ConversationWithMessages");

const tags = ["chat"];

export function registerConversations(app: App) {
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/conversations",
      tags,
      ...policy.signedIn,
      request: { query: z.object({ limit: Limit, cursor: CursorParam }) },
      responses: { 200: json(page(Conversation, "ConversationPage"), "Your conversations, most recently active first"), ...errorResponses },
    }),
    async (c) => c.json(await conversations.listConversations({ ctx: ctxOf(c, "chat:read"), input: c.req.valid("query") }), 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/conversations/{id}",
      tags,
      ...policy.signedIn,
      request: { params: IdParam },
      responses: { 200: json(ConversationWithMessages, "The conversation and its messages, oldest first"), ...errorResponses },
    }),
    async (c) => c.json(await conversations.getConversation({ ctx: ctxOf(c, "chat:read"), input: c.req.valid("param") }), 200),
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/v1/conversations/{id}",
      tags,
      ...policy.signedIn,
      request: { params: IdParam },
      responses: { 204: { description: "Deleted with its messages" }, ...errorResponses },
    }),
    async (c) => {
      await conversations.deleteConversation({ ctx: ctxOf(c, "chat:write"), input: c.req.valid("param") });
      return c.body(null, 204);
    },
  );
}
