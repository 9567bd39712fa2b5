import { BUILTIN_MODELS } from "@tcc/shared/contracts";
import type { PlainMessage } from "../builtin/extractive";
import { builtinAnswer, completionJson, completionSse, type Usage } from "../builtin/provider";
import { cacheKey } from "../cache/response-cache";
import type { Ctx } from "../context";
import { GatewayError } from "../errors";
import { forward } from "../upstream/forward";
import { relaySse } from "../upstream/relay";
import { record } from "./usage";

export interface ChatInput {
  model: string;
  messages: PlainMessage[];
  stream?: boolean | null;
  temperature?: number | null;
  stream_options?: { include_usage?: boolean } | null;
}

const JSON_TYPE = { "content-type": "application/json" };
const SSE_TYPE = { "content-type": "text/event-stream", "cache-control": "no-cache" };

/** Deterministic requests (temperature 0, one choice) give the same answer again: worth caching. */
const cacheable = (ctx: Ctx, body: ChatInput & { n?: unknown }) =>
  ctx.services.env.AI_CACHE_TTL_S > 0 && body.temperature === 0 && !body.stream && (body.n == null || body.n === 1);

/**
 * POST /v1/chat/completions. The body bytes go upstream exactly as the client sent them (the
 * parsed copy only decides routing, caching and priority), and the answer comes back the same
 * way: JSON whole, SSE relayed chunk by chunk.
 */
export async function chatCompletion({ ctx, input, raw }: { ctx: Ctx; input: ChatInput; raw: Uint8Array }): Promise<Response> {
  const { services } = ctx;
  await services.accounting.check(ctx.user);
  if (input.model === BUILTIN_MODELS.chat) return builtinChat(ctx, input);
  if (!services.pool.knows(input.model)) throw new GatewayError("model_not_found", `The model ${input.model} is not served here`);

  const key = cacheable(ctx, input) ? cacheKey("chat", raw) : undefined;
  if (key) {
    const hit = await services.cache.get(key);
    services.metrics.cache.inc({ endpoint: "chat", result: hit ? "hit" : "miss" });
    if (hit) return new Response(hit, { headers: { ...JSON_TYPE, "x-tcc-cache": "hit" } });
  }

  const { res, lease } = await forward(ctx, input.model, "/chat/completions", raw);
  if (input.stream) {
    const stream = relaySse(res.body!, {
      onFirstChunk: () => services.metrics.timeToFirstToken.observe({ model: input.model }, (performance.now() - ctx.started) / 1000),
      onUsage: (usage) => record(ctx, input.model, usage),
      onEnd: () => {
        lease.release();
        services.metrics.responseDuration.observe({ model: input.model, endpoint: "chat" }, (performance.now() - ctx.started) / 1000);
      },
    });
    return new Response(stream, { headers: SSE_TYPE });
  }
  let bytes: Uint8Array;
  try {
    bytes = await res.bytes();
  } finally {
    lease.release();
  }
  services.metrics.responseDuration.observe({ model: input.model, endpoint: "chat" }, (performance.now() - ctx.started) / 1000);
  const usage = usageOf(bytes);
  if (usage) record(ctx, input.model, usage);
  if (key) services.cache.set(key, bytes, services.env.AI_CACHE_TTL_S);
  return new Response(bytes, { headers: key ? { ...JSON_TYPE, "x-tcc-cache": "miss" } : JSON_TYPE });
}

function usageOf(bytes: Uint8Array): Usage | undefined {
  try {
    return (JSON.parse(new TextDecoder().decode(bytes)) as { usage?: Usage }).usage ?? undefined;
  } catch {
    return undefined;
  }
}

function builtinChat(ctx: Ctx, input: ChatInput): Response {
  const { content, usage } = builtinAnswer(input);
  record(ctx, BUILTIN_MODELS.chat, usage);
  ctx.services.metrics.responseDuration.observe({ model: BUILTIN_MODELS.chat, endpoint: "chat" }, (performance.now() - ctx.started) / 1000);
  if (input.stream) return new Response(completionSse(content, usage, !!input.stream_options?.include_usage), { headers: SSE_TYPE });
  return new Response(completionJson(content, usage), { headers: JSON_TYPE });
}
