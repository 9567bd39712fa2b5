import type { UpstreamNode } from "../nodes/pool";
import { UpstreamConnectionError, UpstreamStatusError } from "./errors";

export { UpstreamConnectionError, UpstreamStatusError };

const JSON_HEADERS = { "content-type": "application/json", accept: "application/json, text/event-stream" };

/**
 * One upstream POST with the client's body bytes as they came. This is the hot path, so it
 * is a bare fetch, not the `openai` client (used for the nodes' health probes): that builds
 * a dozen headers and a log record per call, about 2.5 times the gateway's CPU per request
 * here. (A hand-written keep-alive HTTP/1.1 client on Bun sockets was tried too: ~0.05 ms
 * less latency at one connection, but 15–25% less throughput at 64 than Bun's native fetch.)
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
