import { createRoute, z } from "@hono/zod-openapi";
import { streamSSE } from "hono/streaming";
import { policy } from "../http/policy";
import { ctxOf, ErrorBody, errorResponses, json, jsonBody, text, Uuid } from "../http/route-kit";
import type { App } from "../http/types";
import { startChat } from "./turn";

const ChatRequest = z
  .object({
    message: text(8_000).trim().min(1).openapi({ description: "The question", example: "How many runs did I log in March?" }),
    conversationId: Uuid.optional().openapi({ description: "Continue this conversation; absent starts a new one" }),
  })
  .strict()
  .openapi("ChatRequest");

const EVENTS = `A \`text/event-stream\` of named events, in this order:

- \`conversation\` \`{"id"}\`: the conversation (new or continued), always first
- \`citations\` \`[{"entryId","title","date"}]\`: your entries the answer draws on; sent after retrieval and again, complete, whenever a tool reads more entries
- \`tool\` \`{"name","arguments","ok"}\`: the assistant called a tool (\`search_entries\`, \`get_entry\`, \`list_tags\`, \`query_log\`); \`arguments\` is a shortened copy
- \`delta\` \`{"text"}\`: the next piece of the answer; the pieces concatenate to the whole answer
- \`done\` \`{"messageId","usage":{"promptTokens","completionTokens","totalTokens"}}\`: the answer is complete and stored
- \`error\` \`{"code","message"}\`: the answer failed after the stream began (e.g. \`UNAVAILABLE\` when the AI gateway fails); no \`done\` follows

Every event's data is JSON. A gateway that is down before the stream begins is a 503 with the usual error body instead. Closing the connection cancels the model's work; the question and any partial answer are kept in the conversation.`;

export function registerChat(app: App) {
  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/chat",
      tags: ["chat"],
      ...policy.signedIn,
      summary: "Ask the assistant about your log (streamed)",
      description: EVENTS,
      request: jsonBody(ChatRequest),
      responses: {
        200: { content: { "text/event-stream": { schema: z.string() } }, description: "The answer as server-sent events" },
        ...errorResponses,
        503: json(ErrorBody, "The AI gateway is unreachable or failing"),
      },
    }),
    async (c) => {
      const ctx = ctxOf(c, "chat:write");
      const input = c.req.valid("json");
      // Aborted when the client goes away, before or during the stream: the upstream call is cancelled with it.
      const abort = new AbortController();
      const clientGone = () => abort.abort();
      c.req.raw.signal.addEventListener("abort", clientGone, { once: true });
      let events: Awaited<ReturnType<typeof startChat>>;
      try {
        events = await startChat({ ctx: { ...ctx, signal: abort.signal }, input });
      } catch (err) {
        c.req.raw.signal.removeEventListener("abort", clientGone);
        throw err;
      }
      return streamSSE(c, async (stream) => {
        stream.onAbort(clientGone);
        try {
          for await (const e of events) {
            if (stream.aborted) break;
            await stream.writeSSE({ event: e.event, data: JSON.stringify(e.data) });
          }
        } finally {
          // Leaving early (client gone) runs the generator's cleanup: cancel upstream, keep the question.
          abort.abort();
          await events.return(undefined);
          c.req.raw.signal.removeEventListener("abort", clientGone);
        }
      });
    },
  );
}
