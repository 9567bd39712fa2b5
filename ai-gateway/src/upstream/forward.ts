import type { Ctx } from "../context";
import { GatewayError } from "../errors";
import type { Lease } from "../sched/scheduler";
import { send, UpstreamConnectionError, UpstreamStatusError } from "./send";

export interface Forwarded {
  /** A 2xx upstream response whose body has not been read yet. */
  res: Response;
  /** Held until the caller has relayed the body. */
  lease: Lease;
}

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
export async function forward(ctx: Ctx, model: string, path: string, body: Uint8Array): Promise<Forwarded> {
  // The client going away or the deadline passing aborts the upstream call, streaming included.
  // A timer cleared with the lease, not AbortSignal.timeout: those live on for the whole
  // deadline (two minutes by default), which under load is hundreds of thousands of timers.
  const abort = new AbortController();
  const signal = abort.signal;
  const onClientGone = () => abort.abort();
  ctx.signal.addEventListener("abort", onClientGone, { once: true });
  const timer = setTimeout(() => abort.abort(), Math.max(1, ctx.deadlineAt - Date.now()));
  const settle = () => {
    clearTimeout(timer);
    ctx.signal.removeEventListener("abort", onClientGone);
  };
  try {
    return await attempts(ctx, model, path, body, signal, settle);
  } catch (err) {
    settle();
    throw err;
  }
}

/** The retry loop; on success the returned lease's release also settles the request's timer. */
async function attempts(
  ctx: Ctx,
  model: string,
  path: string,
  body: Uint8Array,
  signal: AbortSignal,
  settle: () => void,
): Promise<Forwarded> {
  const { scheduler, pool, metrics, env } = ctx.services;
  const failed = new Set<string>();
  let last: Error | undefined;
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
      const res = await send(node, path, body, signal);
      pool.succeeded(node);
      return {
        res,
        lease: {
          node,
          release: () => {
            settle();
            lease.release();
          },
        },
      };
    } catch (err) {
      lease.release();
      if (signal.aborted) {
        metrics.upstreamErrors.inc({ node: node.url, kind: "aborted" });
        throw ctx.signal.aborted
          ? new GatewayError("deadline_exceeded", "The client went away")
          : new GatewayError("deadline_exceeded", "The request's deadline passed waiting for the model");
      }
      if (err instanceof UpstreamConnectionError) {
        metrics.upstreamErrors.inc({ node: node.url, kind: "connection" });
        pool.connectionFailed(node);
      } else if (err instanceof UpstreamStatusError && err.status >= 500) {
        metrics.upstreamErrors.inc({ node: node.url, kind: "status_5xx" });
        pool.statusFailed(node);
      } else if (err instanceof UpstreamStatusError) {
        metrics.upstreamErrors.inc({ node: node.url, kind: "status_4xx" });
        throw new UpstreamClientError(err.status, err.body);
      } else throw err;
      failed.add(node.url);
      last = new GatewayError("upstream_error", `The model node failed: ${(err as Error).message}`);
    }
  }
  throw last ?? new GatewayError("no_healthy_node", `No healthy node serves ${model} right now`);
}
