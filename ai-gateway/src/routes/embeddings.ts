import { z } from "zod";
import { createEmbeddings } from "../services/embeddings";
import type { App } from "../types";
import { ctxOf, readBody } from "./request";

const MAX_INPUTS = 2048; // OpenAI's own limit per request

export const EmbeddingsBody = z.looseObject({
  model: z.string().min(1),
  input: z.union([
    z.string(),
    z.array(z.string()).min(1).max(MAX_INPUTS),
    z.array(z.number().int()).min(1),
    z.array(z.array(z.number().int()).min(1)).min(1).max(MAX_INPUTS),
  ]),
  encoding_format: z.enum(["float", "base64"]).optional(),
  dimensions: z.number().int().positive().max(2000).optional(),
  user: z.string().optional(),
});

export function registerEmbeddings(app: App) {
  app.post("/v1/embeddings", async (c) => {
    const { raw, body } = await readBody(c, EmbeddingsBody);
    return createEmbeddings({ ctx: ctxOf(c, "batch", body.user), input: body, raw });
  });
}
