import { z } from "zod";
import { chatCompletion } from "../services/chat";
import type { App } from "../types";
import { ctxOf, readBody } from "./request";

// Only what the gateway decides on is checked; everything else goes to the node as sent.
const Message = z.looseObject({ role: z.string().min(1), content: z.union([z.string(), z.array(z.unknown()), z.null()]).optional() });
export const ChatBody = z.looseObject({
  model: z.string().min(1),
  messages: z.array(Message).min(1),
  stream: z.boolean().nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  n: z.number().int().positive().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
  user: z.string().optional(),
});

export function registerChat(app: App) {
  app.post("/v1/chat/completions", async (c) => {
    const { raw, body } = await readBody(c, ChatBody);
    return chatCompletion({ ctx: ctxOf(c, "interactive", body.user), input: body, raw });
  });
}
