import type { UpstreamNode } from "../nodes/pool";

/** The node could not be reached, or the connection broke before an answer. */
export class UpstreamConnectionError extends Error {}

/** The node answered with a non-2xx status; `body` is its JSON error, if any. */
export class UpstreamStatusError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`upstream answered ${status}`);
  }
}

const JSON_HEADERS = { "content-type": "application/json", accept: "application/json, text/event-stream" };

/**
 * One upstream POST with the client's body bytes as they came. This is the hot path, so it is
 * a bare fetch: the `openai` client (used for the nodes' health probes) re-serialises bodies
 * and builds a dozen headers per call, which measured at about half of the gateway's CPU per
 * request here (see README, "AI gateway").
 */
export async function send(node: UpstreamNode, path: string, body: Uint8Array, signal: AbortSignal): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(`${node.url}/v1${path}`, { method: "POST", body, headers: JSON_HEADERS, signal });
  } catch (err) {
    if (signal.aborted) throw err;
    throw new UpstreamConnectionError((err as Error).message);
  }
  if (res.ok) return res;
  const text = await res.text().catch(() => "");
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {}
  const error = parsed && typeof parsed === "object" && "error" in parsed ? (parsed as { error: unknown }).error : parsed;
  throw new UpstreamStatusError(res.status, error);
}
