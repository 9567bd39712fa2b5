import type { ErrorCode } from "@tcc/shared/contracts";
import { type ContextEntry, formatContextEntries } from "@tcc/shared/contracts";
import type { ChatCompletionMessageParam, ChatCompletionTool } from "../ai/client";
import type { Call, Ctx } from "../context";
import { AppError } from "../errors";
import { appendMessages, type Citation, openConversation, recentMessages, type ToolCallRecord } from "./conversations";
import { describeSchema } from "./query-log/query-log";
import { searchEntriesForChat } from "./retrieval";
import { runTool, summarizeArgs, toolDefinitions } from "./tools";
import { openRound, type Round, RoundState, type Usage } from "./upstream";

/** Model calls per question: tool rounds, then one that must answer (it is offered no tools). */
export const MAX_ROUNDS = 4;

export type ChatEvent =
  | { event: "conversation"; data: { id: string } }
  | { event: "citations"; data: Citation[] }
  | { event: "tool"; data: { name: string; arguments: string; ok: boolean } }
  | { event: "delta"; data: { text: string } }
  | { event: "done"; data: { messageId: string; usage: Usage } }
  | { event: "error"; data: { code: ErrorCode; message: string } };

export interface ChatInput {
  message: string;
  conversationId?: string;
}

function systemPrompt(context: ContextEntry[], now: Date): string {
  const intro = [
    "You are the assistant of TCC Log, the user's personal log. Answer from the user's own entries.",
    "Entries that match the question are below, each in a <tcc-entry> block with its id, title and date.",
    "Name the entries you rely on by title. When they do not hold the answer, use the tools, or say plainly that the log does not say.",
    `Today is ${now.toISOString().slice(0, 10)}.`,
  ].join("\n");
  return context.length ? `${intro}\n\n${formatContextEntries(context)}` : `${intro}\n\n(No entry matched the question.)`;
}

const citationOf = (e: ContextEntry): Citation => ({ entryId: e.id, title: e.title, date: e.date });

/**
 * One question and its answer. Everything that can fail with a status code (an unknown
 * conversation, a gateway that is down) fails here, before the event stream begins;
 * later failures become an `error` event.
 */
export async function startChat({ ctx, input }: Call<ChatInput, AbortableCtx>): Promise<AsyncGenerator<ChatEvent>> {
  // ctx.signal: the client going away cancels retrieval's query embedding and the model's work alike.
  const { env } = ctx.s;
  // An unknown or foreign conversation is a 404 before anything else happens.
  const existing = input.conversationId
    ? await openConversation({ ctx, input: { id: input.conversationId, question: input.message } })
    : undefined;
  const [history, context] = await Promise.all([
    existing ? recentMessages({ ctx, input: { conversationId: existing.id, n: env.CHAT_HISTORY_MESSAGES } }) : [],
    searchEntriesForChat({ ctx, input: { query: input.message, limit: env.CHAT_CONTEXT_ENTRIES } }),
  ]);
  // query_log is offered only where its protections hold (see chat/query-log).
  const schema =
    ctx.s.db.driver === "pglite"
      ? undefined
      : await describeSchema({ ctx }).catch((err) => {
          ctx.s.logger.warn({ err }, "chat: query_log not offered");
          return undefined;
        });
  const toolOpts = { queryLog: schema !== undefined };
  const tools = toolDefinitions({ ...toolOpts, schema, maxRows: env.QUERY_LOG_MAX_ROWS });
  const messages: ChatCompletionMessageParam[] = [
    { role: "system", content: systemPrompt(context, ctx.s.clock()) },
    ...history.map((m) => ({ role: m.role, content: m.content }) as ChatCompletionMessageParam),
    { role: "user", content: input.message },
  ];
  const first = await openRound({ ctx, input: { messages, tools } });
  // Created only once the model has answered, so a failed start leaves nothing behind.
  const conversation = existing ?? (await openConversation({ ctx, input: { question: input.message } }));
  return converse({ ctx, input, conversationId: conversation.id, messages, tools, first, context, toolOpts });
}

/** A chat's ctx: aborted when the client goes away. */
type AbortableCtx = Ctx & { signal: AbortSignal };

interface Conversing {
  ctx: AbortableCtx;
  input: ChatInput;
  conversationId: string;
  messages: ChatCompletionMessageParam[];
  tools: ChatCompletionTool[];
  first: Round;
  context: ContextEntry[];
  toolOpts: { queryLog: boolean };
}

async function* converse(t: Conversing): AsyncGenerator<ChatEvent> {
  const { ctx, messages } = t;
  const citations = new Map(t.context.map((e) => [e.id, citationOf(e)]));
  const usage: Usage = { promptTokens: 0, completionTokens: 0, totalTokens: 0 };
  const calls: ToolCallRecord[] = [];
  let answer = "";
  let saved = false;
  const save = async () => {
    saved = true;
    const ids = await appendMessages({
      ctx,
      input: {
        conversationId: t.conversationId,
        messages: [
          { role: "user", content: t.input.message },
          ...(answer ? [{ role: "assistant" as const, content: answer, toolCalls: calls, citations: [...citations.values()] }] : []),
        ],
      },
    });
    return ids[ids.length - 1] as string;
  };

  let outcome: "done" | "error" | undefined;
  yield { event: "conversation", data: { id: t.conversationId } };
  yield { event: "citations", data: [...citations.values()] };
  try {
    let round: Round | undefined = t.first;
    for (let n = 1; round; n++) {
      const state = new RoundState();
      for await (const chunk of round.chunks) {
        const text = state.take(chunk, usage);
        if (text) {
          answer += text;
          yield { event: "delta", data: { text } };
        }
      }
      const toolCalls = state.toolCalls();
      round = undefined;
      if (toolCalls.length === 0 || n >= MAX_ROUNDS) break;
      messages.push({
        role: "assistant",
        content: state.text || null,
        tool_calls: toolCalls.map((c) => ({ id: c.id, type: "function", function: { name: c.name, arguments: c.arguments } })),
      });
      const before = citations.size;
      for (const call of toolCalls) {
        const outcome = await runTool({ ctx, input: { name: call.name, args: call.arguments, ...t.toolOpts } });
        for (const e of outcome.entries) if (!citations.has(e.id)) citations.set(e.id, citationOf(e));
        calls.push({ name: call.name, arguments: summarizeArgs(call.arguments), ok: outcome.ok });
        // The label is the model's choice of name: only offered names, so the series stay few.
        const tool = t.tools.some((d) => d.type === "function" && d.function.name === call.name) ? call.name : "unknown";
        ctx.s.metrics.chatToolCalls.inc({ tool, ok: String(outcome.ok) });
        yield { event: "tool", data: { name: call.name, arguments: summarizeArgs(call.arguments), ok: outcome.ok } };
        messages.push({ role: "tool", tool_call_id: call.id, content: outcome.text });
      }
      if (citations.size > before) yield { event: "citations", data: [...citations.values()] };
      // The last round is offered no tools, so the model has to answer with what it has.
      round = await openRound({ ctx, input: { messages, tools: n + 1 >= MAX_ROUNDS ? [] : t.tools } });
    }
    const messageId = await save();
    outcome = "done";
    yield { event: "done", data: { messageId, usage } };
  } catch (err) {
    if (ctx.signal.aborted) return;
    outcome = "error";
    // Gateway failures arrive as AppErrors (see upstream.ts); anything else is our own bug.
    if (err instanceof AppError) {
      yield { event: "error", data: { code: err.code, message: err.message } };
      return;
    }
    ctx.s.logger.error({ err }, "chat failed");
    yield { event: "error", data: { code: "INTERNAL", message: "The answer failed" } };
  } finally {
    // A client that leaves stops this generator without an exception: neither done nor error.
    ctx.s.metrics.chatAnswers.inc({ outcome: outcome ?? "aborted" });
    // The question is kept even when the answer failed or the client left, with what was said so far.
    if (!saved) await save().catch((err) => ctx.s.logger.error({ err }, "chat: saving the question failed"));
  }
}
