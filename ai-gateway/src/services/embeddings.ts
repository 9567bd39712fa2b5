import { BUILTIN_MODELS } from "@tcc/shared/contracts";
import { builtinEmbeddings, type Usage } from "../builtin/provider";
import { cacheKey } from "../cache/response-cache";
import type { Ctx } from "../context";
import { GatewayError } from "../errors";
import { forward } from "../upstream/forward";
import { record } from "./usage";

export interface EmbeddingsInput {
  model: string;
  input: string | string[] | number[] | number[][];
  encoding_format?: "float" | "base64";
  dimensions?: number;
}

const JSON_TYPE = { "content-type": "application/json" };

interface Upstream {
  data: { index: number; embedding: number[] }[];
  usage?: Usage;
}

function toBase64(v: number[]): string {
  return Buffer.from(new Float32Array(v).buffer).toString("base64");
}

function respond(
  model: string,
  vectors: number[][],
  usage: Usage,
  format: EmbeddingsInput["encoding_format"],
  cache?: "hit" | "miss",
): Response {
  const data = vectors.map((embedding, index) => ({
    object: "embedding",
    index,
    embedding: format === "base64" ? toBase64(embedding) : embedding,
  }));
  const body = JSON.stringify({
    object: "list",
    data,
    model,
    usage: { prompt_tokens: usage.prompt_tokens, total_tokens: usage.total_tokens },
  });
  return new Response(body, { headers: cache ? { ...JSON_TYPE, "x-tcc-cache": cache } : JSON_TYPE });
}

/**
 * POST /v1/embeddings. Each text's vector is cached by a hash of model, dimensions and text,
 * so a batch with a few new texts sends only those upstream. Token-array inputs pass through
 * uncached.
 */
export async function createEmbeddings({ ctx, input, raw }: { ctx: Ctx; input: EmbeddingsInput; raw: Uint8Array }): Promise<Response> {
  const { services } = ctx;
  await services.accounting.check(ctx.user);
  const texts = typeof input.input === "string" ? [input.input] : input.input;
  const allText = texts.every((t): t is string => typeof t === "string");

  if (input.model === BUILTIN_MODELS.embedding) {
    if (!allText) throw new GatewayError("invalid_request", "The built-in embedding model takes text input, not token arrays");
    const { vectors, usage } = builtinEmbeddings(texts, input.dimensions ?? services.env.EMBEDDING_DIMS);
    record(ctx, input.model, usage);
    return respond(input.model, vectors, usage, input.encoding_format);
  }
  if (!services.pool.knows(input.model)) throw new GatewayError("model_not_found", `The model ${input.model} is not served here`);

  if (!allText || services.env.AI_CACHE_TTL_S === 0) {
    const { res, lease } = await forward(ctx, input.model, "/embeddings", raw);
    const bytes = await res.bytes().finally(() => lease.release());
    const usage = (JSON.parse(new TextDecoder().decode(bytes)) as Upstream).usage;
    if (usage) record(ctx, input.model, usage);
    return new Response(bytes, { headers: JSON_TYPE });
  }

  const keys = texts.map((t) => cacheKey("emb", input.model, String(input.dimensions ?? ""), t));
  const cached = await services.cache.getMany(keys);
  const vectors: (number[] | undefined)[] = cached.map((b) => (b ? (JSON.parse(new TextDecoder().decode(b)) as number[]) : undefined));
  const missing = texts.map((_, i) => i).filter((i) => !vectors[i]);
  services.metrics.cache.inc({ endpoint: "embeddings", result: "hit" }, texts.length - missing.length);
  services.metrics.cache.inc({ endpoint: "embeddings", result: "miss" }, missing.length);
  let usage: Usage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
  if (missing.length) {
    // Only the texts the cache lacks, always as floats (the form that is cached).
    const body = JSON.stringify({ ...input, input: missing.map((i) => texts[i]), encoding_format: "float" });
    const { res, lease } = await forward(ctx, input.model, "/embeddings", new TextEncoder().encode(body));
    const answer = (await res.json().finally(() => lease.release())) as Upstream;
    for (const d of answer.data) {
      const i = missing[d.index];
      if (i === undefined) continue;
      vectors[i] = d.embedding;
      services.cache.set(keys[i]!, new TextEncoder().encode(JSON.stringify(d.embedding)), services.env.AI_CACHE_TTL_S);
    }
    if (answer.usage) {
      usage = { ...answer.usage, completion_tokens: 0 };
      record(ctx, input.model, usage);
    }
    if (vectors.some((v) => !v)) throw new GatewayError("upstream_error", "The model node returned fewer embeddings than inputs");
  }
  services.metrics.responseDuration.observe({ model: input.model, endpoint: "embeddings" }, (performance.now() - ctx.started) / 1000);
  return respond(input.model, vectors as number[][], usage, input.encoding_format, missing.length ? "miss" : "hit");
}
