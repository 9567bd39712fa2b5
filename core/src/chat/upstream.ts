import { type ChatCompletionChunk, type ChatCompletionMessageParam, type ChatCompletionTool, openAiIfLoaded } from "../ai/client";
import type { Call, Ctx } from "../context";
import { AppError } from "../errors";

/** One call to the model, its first chunk already received (or its failure already known). */
export interface Round {
  chunks: AsyncIterable<ChatCompletionChunk>;
}

/** What a gateway failure means to our client: the gateway's 429 stays a 429, the rest is 503. */
export function gatewayError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  // Only a loaded library throws its own errors (the client loads it on its first call).
  const openai = openAiIfLoaded();
  if (!openai) return new AppError("UNAVAILABLE", "The AI gateway failed");
  const { APIConnectionError, APIError, APIUserAbortError } = openai;
  if (err instanceof APIUserAbortError) return new AppError("UNAVAILABLE", "The request was cancelled");
  if (err instanceof APIConnectionError) return new AppError("UNAVAILABLE", "The AI gateway cannot be reached");
  if (err instanceof APIError) {
    if (err.status === 429) {
      const retry = err.headers?.get("retry-after");
      return new AppError(
        "RATE_LIMITED",
        "The AI gateway is busy or your AI quota is spent",
        undefined,
        retry ? { "Retry-After": retry } : undefined,
      );
    }
    return new AppError("UNAVAILABLE", `The AI gateway failed (${err.status ?? "no status"})`);
  }
  return new AppError("UNAVAILABLE", "The AI gateway failed");
}

/**
 * Starts a model call and waits for its first chunk, so that a gateway that is down fails
 * here, before any response has begun, and the route can still answer with a status code.
 */
export async function openRound({
  ctx,
  input: { messages, tools },
}: Call<{ messages: ChatCompletionMessageParam[]; tools: ChatCompletionTool[] }, Ctx & { signal: AbortSignal }>): Promise<Round> {
  const it = ctx.s.ai.chatStream({ userId: ctx.userId, messages, tools, signal: ctx.signal })[Symbol.asyncIterator]();
  let first: IteratorResult<ChatCompletionChunk>;
  try {
    first = await it.next();
  } catch (err) {
    throw gatewayError(err);
  }
  async function* rest(): AsyncIterable<ChatCompletionChunk> {
    if (first.done) return;
    yield first.value;
    try {
      for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
    } catch (err) {
      throw gatewayError(err);
    }
  }
  return { chunks: rest() };
}

export interface ToolCallDraft {
  id: string;
  name: string;
  arguments: string;
}

export interface Usage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

/** Gathers a streamed round: text deltas pass through, tool calls arrive in pieces by index. */
export class RoundState {
  text = "";
  private readonly calls = new Map<number, ToolCallDraft>();

  /** Applies a chunk; returns its text delta, if any. */
  take(chunk: ChatCompletionChunk, usage: Usage): string {
    if (chunk.usage) {
      usage.promptTokens += chunk.usage.prompt_tokens ?? 0;
      usage.completionTokens += chunk.usage.completion_tokens ?? 0;
      usage.totalTokens += chunk.usage.total_tokens ?? 0;
    }
    const delta = chunk.choices[0]?.delta;
    for (const tc of delta?.tool_calls ?? []) {
      const draft = this.calls.get(tc.index) ?? { id: "", name: "", arguments: "" };
      if (tc.id) draft.id = tc.id;
      if (tc.function?.name) draft.name += tc.function.name;
      if (tc.function?.arguments) draft.arguments += tc.function.arguments;
      this.calls.set(tc.index, draft);
    }
    const text = delta?.content ?? "";
    this.text += text;
    return text;
  }

  toolCalls(): ToolCallDraft[] {
    return [...this.calls.entries()]
      .sort(([a], [b]) => a - b)
      .map(([i, c]) => ({ ...c, id: c.id || `call_${i}` }))
      .filter((c) => c.name);
  }
}
