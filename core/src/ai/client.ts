import { AI_HEADERS, type AiPriority, BUILTIN_MODELS } from "@tcc/shared/contracts";
import type { ChatCompletionChunk, ChatCompletionMessageParam, ChatCompletionTool } from "openai/resources/chat/completions";
import { AppError } from "../errors";
import { lazyModule } from "../lib/lazy-module";

export type { ChatCompletionChunk, ChatCompletionMessageParam, ChatCompletionTool };

let loadedOpenAi: typeof import("openai") | undefined;
/** The OpenAI client library, loaded by the first AI call (see lib/lazy-module.ts). */
const openAi = lazyModule(async () => {
  loadedOpenAi = await import("openai");
  return loadedOpenAi;
});
/** The library once a call has loaded it; until then no error can be one of its classes. */
export const openAiIfLoaded = () => loadedOpenAi;

export interface EmbedInput {
  userId: string;
  texts: string[];
  /** `batch` for document embeddings, `interactive` for a query someone is waiting on. */
  priority: AiPriority;
  signal?: AbortSignal;
}

export interface ChatInput {
  userId: string;
  messages: ChatCompletionMessageParam[];
  tools?: ChatCompletionTool[];
  temperature?: number;
  maxTokens?: number;
  signal?: AbortSignal;
}

/**
 * Core's view of the AI gateway. Core never talks to LM Studio itself: the gateway queues,
 * schedules, caches and meters, and in the embedded default serves its built-in provider.
 */
export interface AiClient {
  /** False only for DisabledAiClient: no model is reachable, so no embedding work is queued. */
  readonly enabled: boolean;
  readonly chatModel: string;
  readonly embeddingModel: string;
  /** One vector per text, in order. */
  embed(input: EmbedInput): Promise<number[][]>;
  /** OpenAI chat chunks, the last one carrying usage. Aborting the signal cancels upstream. */
  chatStream(input: ChatInput): AsyncIterable<ChatCompletionChunk>;
  close(): Promise<void>;
}

export interface GatewayClientOptions {
  /** The gateway's origin, e.g. http://ai-gateway:8081 (a promise while an embedded one starts). */
  baseUrl: string | Promise<string>;
  token?: string;
  chatModel: string;
  embeddingModel: string;
  timeoutMs: number;
  /** Stops an embedded gateway this client started. */
  onClose?: () => Promise<void>;
}

export class GatewayClient implements AiClient {
  readonly enabled = true;
  readonly chatModel: string;
  readonly embeddingModel: string;
  private readonly baseUrl: Promise<string>;

  constructor(private readonly opts: GatewayClientOptions) {
    this.chatModel = opts.chatModel;
    this.embeddingModel = opts.embeddingModel;
    this.baseUrl = Promise.resolve(opts.baseUrl);
    // An embedded gateway that fails to start surfaces on the first call, not as an unhandled rejection.
    this.baseUrl.catch(() => {});
  }

  /**
   * The OpenAI client, built by the first call: a process that makes none never loads the
   * library. Not remembered on failure (lazyModule): the next call tries again.
   */
  private readonly ready = lazyModule(async () => {
    const [url, { default: OpenAI }] = await Promise.all([this.baseUrl, openAi()]);
    return new OpenAI({
      baseURL: `${url.replace(/\/$/, "")}/v1`,
      apiKey: this.opts.token ?? "unused",
      // The gateway retries upstream; retrying here too would multiply load on an overloaded node.
      maxRetries: 0,
      timeout: this.opts.timeoutMs,
    });
  });

  private headers(userId: string, priority: AiPriority): Record<string, string> {
    return {
      [AI_HEADERS.user]: userId,
      [AI_HEADERS.priority]: priority,
      [AI_HEADERS.deadline]: String(this.opts.timeoutMs),
    };
  }

  async embed(input: EmbedInput): Promise<number[][]> {
    if (input.texts.length === 0) return [];
    const client = await this.ready();
    const res = await client.embeddings.create(
      // `user` is OpenAI's end-user field: the node's own logs can then tell users apart.
      { model: this.embeddingModel, input: input.texts, encoding_format: "float", user: input.userId },
      { headers: this.headers(input.userId, input.priority), signal: input.signal },
    );
    const out = res.data.sort((a, b) => a.index - b.index).map((d) => d.embedding as number[]);
    if (out.length !== input.texts.length) throw new Error(`gateway returned ${out.length} embeddings for ${input.texts.length} texts`);
    return out;
  }

  async *chatStream(input: ChatInput): AsyncIterable<ChatCompletionChunk> {
    const client = await this.ready();
    const stream = await client.chat.completions.create(
      {
        model: this.chatModel,
        messages: input.messages,
        tools: input.tools?.length ? input.tools : undefined,
        temperature: input.temperature,
        max_tokens: input.maxTokens,
        stream: true,
        stream_options: { include_usage: true },
        user: input.userId,
      },
      { headers: this.headers(input.userId, "interactive"), signal: input.signal },
    );
    yield* stream;
  }

  async close(): Promise<void> {
    await this.opts.onClose?.();
  }
}

/**
 * No AI at all, and no gateway process: calls fail as an unreachable gateway's do (503, hybrid
 * search falls back to keyword), and writes queue no embedding jobs. For processes that never
 * use AI, such as most test harnesses; `npm start` and deployments always use GatewayClient.
 */
export class DisabledAiClient implements AiClient {
  readonly enabled = false;
  readonly chatModel = BUILTIN_MODELS.chat;
  readonly embeddingModel = BUILTIN_MODELS.embedding;

  async embed(): Promise<number[][]> {
    throw new AppError("UNAVAILABLE", "AI is turned off in this process");
  }

  // biome-ignore lint/correctness/useYield: it fails before its first chunk, as a gateway that is down does
  async *chatStream(): AsyncIterable<ChatCompletionChunk> {
    throw new AppError("UNAVAILABLE", "AI is turned off in this process");
  }

  async close(): Promise<void> {}
}
