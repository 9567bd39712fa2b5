import { BUILTIN_MODELS } from "@tcc/shared/contracts";
import { countTokens, embedText } from "./embedder";
import { extractiveAnswer, type PlainMessage } from "./extractive";

/** Usage figures for the built-in models come from the embedder's rough token count, so quotas work offline too. */
const estimateTokens = countTokens;

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface BuiltinChat {
  messages: PlainMessage[];
  stream?: boolean | null;
  stream_options?: { include_usage?: boolean } | null;
}

const created = () => Math.floor(Date.now() / 1000);
const newId = () => `chatcmpl-builtin-${crypto.randomUUID()}`;

/** The answer and its usage; `tools` and sampling settings are ignored (there is no model to use them). */
export function builtinAnswer(body: BuiltinChat): { content: string; usage: Usage } {
  const content = extractiveAnswer(body.messages);
  const prompt = body.messages.reduce(
    (n, m) => n + estimateTokens(typeof m.content === "string" ? m.content : JSON.stringify(m.content ?? "")),
    0,
  );
  const completion = estimateTokens(content);
  return { content, usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion } };
}

export function completionJson(content: string, usage: Usage): string {
  return JSON.stringify({
    id: newId(),
    object: "chat.completion",
    created: created(),
    model: BUILTIN_MODELS.chat,
    choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop", logprobs: null }],
    usage,
  });
}

/** The same answer as OpenAI chat chunks over SSE: role, then the text in pieces, stop, usage, [DONE]. */
export function completionSse(content: string, usage: Usage, includeUsage: boolean): ReadableStream<Uint8Array> {
  const id = newId();
  const base = { id, object: "chat.completion.chunk", created: created(), model: BUILTIN_MODELS.chat };
  const chunk = (delta: object, finish: string | null) =>
    `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }] })}\n\n`;
  const events = [chunk({ role: "assistant", content: "" }, null)];
  for (const piece of content.match(/[^\n]*\n?/g) ?? []) if (piece) events.push(chunk({ content: piece }, null));
  events.push(chunk({}, "stop"));
  if (includeUsage) events.push(`data: ${JSON.stringify({ ...base, choices: [], usage })}\n\n`);
  events.push("data: [DONE]\n\n");
  const bytes = new TextEncoder().encode(events.join(""));
  return new ReadableStream({
    start(controller) {
      controller.enqueue(bytes);
      controller.close();
    },
  });
}

/** One vector per input from the deterministic local embedder. */
export function builtinEmbeddings(inputs: string[], dims: number): { vectors: number[][]; usage: Usage } {
  const vectors = inputs.map((t) => embedText(t, dims));
  const prompt = inputs.reduce((n, t) => n + estimateTokens(t), 0);
  return { vectors, usage: { prompt_tokens: prompt, completion_tokens: 0, total_tokens: prompt } };
}
