import { createRoute, z } from "@hono/zod-openapi";
import { policy } from "../http/policy";
import { ctxOf, errorResponses, IdParam, json } from "../http/route-kit";
import type { App } from "../http/types";
import { embeddingStateOf } from "./embedding-sweep";

const EmbeddingState = z
  .object({
    state: z.enum(["current", "stale", "pending"]).openapi({
      description:
        "current: semantic search sees this text; stale: it sees an older text or another model's vectors; pending: not embedded yet",
    }),
    model: z.string().nullable(),
    chunks: z.number().int(),
    embeddedAt: z.string().nullable(),
  })
  .openapi("EmbeddingState");

export function registerEmbeddings(app: App) {
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/entries/{id}/embedding",
      tags: ["entries"],
      ...policy.signedIn,
      request: { params: IdParam },
      responses: { 200: json(EmbeddingState, "Where the entry's vectors for semantic search stand"), ...errorResponses },
    }),
    async (c) => c.json(await embeddingStateOf({ ctx: ctxOf(c, "entries:read"), input: { entryId: c.req.valid("param").id } }), 200),
  );
}
