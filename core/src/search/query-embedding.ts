import type { Call } from "../context";
import { AppError } from "../errors";

/** A person is waiting on a search: give up on the gateway well before a chat-sized timeout. */
export const QUERY_EMBED_TIMEOUT_MS = 10_000;

/** The gateway could not embed the query: unreachable, overloaded, over quota or misconfigured. */
export class AiUnavailable extends AppError {
  constructor(cause: unknown, status?: number) {
    const quota = status === 429;
    super(
      quota ? "RATE_LIMITED" : "UNAVAILABLE",
      quota
        ? "The AI gateway refused the query embedding (rate limit or daily token quota); keyword search still works"
        : "The AI gateway is unavailable, so semantic search cannot run; keyword search (mode=keyword) still works",
      { service: "ai-gateway", reason: quota ? "ai-quota" : "ai-unavailable" },
      quota ? { "retry-after": "60" } : { "retry-after": "5" },
    );
    this.cause = cause;
  }
}

function statusOf(err: unknown): number | undefined {
  const status = (err as { status?: unknown } | null)?.status;
  return typeof status === "number" ? status : undefined;
}

/** The query's vector, at interactive priority. Throws AiUnavailable for any gateway failure. */
export async function embedQuery({ ctx, input: { text } }: Call<{ text: string }>): Promise<number[]> {
  let vector: number[] | undefined;
  try {
    [vector] = await ctx.s.ai.embed({
      userId: ctx.userId,
      texts: [text],
      priority: "interactive",
      signal: ctx.signal
        ? AbortSignal.any([ctx.signal, AbortSignal.timeout(QUERY_EMBED_TIMEOUT_MS)])
        : AbortSignal.timeout(QUERY_EMBED_TIMEOUT_MS),
    });
  } catch (err) {
    ctx.s.logger.warn({ err: String(err), status: statusOf(err) }, "query embedding failed");
    throw new AiUnavailable(err, statusOf(err));
  }
  const dims = ctx.s.env.EMBEDDING_DIMS;
  if (!vector || vector.length !== dims) {
    const got = vector?.length ?? 0;
    ctx.s.logger.error({ got, dims, model: ctx.s.ai.embeddingModel }, "embedding model and EMBEDDING_DIMS disagree");
    throw new AiUnavailable(new Error(`model returned ${got} dimensions, EMBEDDING_DIMS is ${dims}`));
  }
  return vector;
}
