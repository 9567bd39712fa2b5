/** OpenAI response shapes as LM Studio sends them, built for the fake node. */

export interface ScriptedToolCall {
  name: string;
  /** A JSON string, or an object that is stringified. */
  arguments: string | Record<string, unknown>;
}

export interface ScriptedReply {
  content?: string;
  tool_calls?: ScriptedToolCall[];
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

let seq = 0;
export const completionId = () => `chatcmpl-fake${Date.now().toString(36)}${(++seq).toString(36)}`;
const now = () => Math.floor(Date.now() / 1000);

export function toolCallsOf(reply: ScriptedReply) {
  return (reply.tool_calls ?? []).map((t, i) => ({
    id: `call_fake_${i}_${seq}`,
    type: "function" as const,
    function: { name: t.name, arguments: typeof t.arguments === "string" ? t.arguments : JSON.stringify(t.arguments) },
  }));
}

export function completion(model: string, reply: ScriptedReply, usage: Usage) {
  const toolCalls = toolCallsOf(reply);
  return {
    id: completionId(),
    object: "chat.completion",
    created: now(),
    model,
    system_fingerprint: model,
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          content: reply.content ?? (toolCalls.length ? null : ""),
          ...(toolCalls.length ? { tool_calls: toolCalls } : {}),
        },
        logprobs: null,
        finish_reason: toolCalls.length ? "tool_calls" : "stop",
      },
    ],
    usage,
  };
}

export function chunk(id: string, model: string, delta: Record<string, unknown>, finish: string | null = null) {
  return {
    id,
    object: "chat.completion.chunk",
    created: now(),
    model,
    system_fingerprint: model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  };
}

export function usageChunk(id: string, model: string, usage: Usage) {
  return { id, object: "chat.completion.chunk", created: now(), model, system_fingerprint: model, choices: [], usage };
}

export function sse(data: unknown): string {
  return `data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`;
}

export function errorBody(status: number, message: string) {
  return { error: { message, type: status >= 500 ? "server_error" : "invalid_request_error", code: null, param: null } };
}

/** Little-endian float32, base64: what `encoding_format: "base64"` asks for. */
export function base64Floats(values: number[]): string {
  return Buffer.from(new Float32Array(values).buffer).toString("base64");
}
