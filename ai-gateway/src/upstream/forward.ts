import { APIConnectionError, APIError, APIUserAbortError } from "openai";
import type { Ctx } from "../context";
import { GatewayError } from "../errors";
import type { Lease } from "../sched/scheduler";

export interface Forwarded {
  /** A 2xx upstream response whose body has not been read yet. */
  res: Response;
  /** Held until the caller has relayed the body. */
  lease: Lease;
}

const JSON_HEADERS = { "content-type": "application/json" };

/** An upstream 4xx: the client's mistake, passed back as the node said it (no retry). */
export class UpstreamClientError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`upstream answered ${status}`);
  }
}

/**
 * Sends the request body as received to a node that serves the model. Connection errors and
 * 5xx answers (which come before any byte of the answer) are retried with exponential backoff
 * and full jitter, on another node when one can serve the model. Once a 2xx arrives the caller
 * owns the response, and nothing retries it any more.
 */
export async function forward(ctx: Ctx, model: string, path: string, body: Uint8Array, stream: boolean): Promise<Forwarded> {
  const { scheduler, pool, metrics, env } = ctx.services;
  const failed = new Set<string>();
  let last: Error = new GatewayError("no_healthy_node", `No healthy node serves ${model} right now`);
  for (let attempt = 0; attempt < env.AI_RETRY_ATTEMPTS; attempt++) {
    if (attempt > 0) {
      // Full jitter: a random wait up to base·2^attempt, so retries of many requests spread out.
      const wait = Math.random() * env.AI_RETRY_BASE_MS * 2 ** attempt;
      if (Date.now() + wait >= ctx.deadlineAt) break;
      await Bun.sleep(wait);
    }
    if (ctx.signal.aborted) throw new GatewayError("deadline_exceeded", "The client went away");
    const lease = await scheduler.acquire({
      model,
      user: ctx.user,
      priority: ctx.priority,
      deadlineAt: ctx.deadlineAt,
      signal: ctx.signal,
      avoid: failed,
    });
    const node = lease.node;
    try {
      const res = await node.client
        .post(path, {
          body,
          headers: JSON_HEADERS,
          signal: ctx.signal,
          timeout: Math.max(1, ctx.deadlineAt - Date.now()),
          stream,
          maxRetries: 0,
        })
        .asResponse();
      pool.succeeded(node);
      return { res, lease };
    } catch (err) {
      lease.release();
      if (err instanceof APIUserAbortError || ctx.signal.aborted) {
        metrics.upstreamErrors.inc({ node: node.url, kind: "aborted" });
        throw new GatewayError("deadline_exceeded", "The client went away");
      }
      if (err instanceof APIConnectionError) {
        metrics.upstreamErrors.inc({ node: node.url, kind: "connection" });
        if (Date.now() >= ctx.deadlineAt)
          throw new GatewayError("deadline_exceeded", "The request's deadline passed waiting for the model");
        pool.connectionFailed(node);
      } else if (err instanceof APIError && (err.status ?? 0) >= 500) {
        metrics.upstreamErrors.inc({ node: node.url, kind: "status_5xx" });
        pool.statusFailed(node);
      } else if (err instanceof APIError && err.status) {
        metrics.upstreamErrors.inc({ node: node.url, kind: "status_4xx" });
        throw new UpstreamClientError(err.status, err.error);
      } else throw err;
      failed.add(node.url);
      last = new GatewayError("upstream_error", `The model node failed: ${(err as Error).message}`);
    }
  }
  throw last;
}
