import { EDGE_TRUST_HEADER, newTrustNonce, signEdgeTrust } from "@tcc/shared/contracts";
import type { Context } from "hono";
import { errorResponse } from "./errors";
import { countOrigin } from "./metrics";
import type { EdgeEnv } from "./types";

/** Hop-by-hop headers, and the trust header: only the edge may set that one, never a client. */
const DROP = ["connection", "keep-alive", "transfer-encoding", "upgrade", "host", EDGE_TRUST_HEADER];

/**
 * Sends the request to core and streams the answer back as it comes (SSE chunk by chunk; the
 * request body streams too). ORIGIN_TIMEOUT_S bounds the wait for core's response headers, not
 * a stream already flowing. Core unreachable is a 502, too slow a 504, both in the envelope.
 */
export async function forward(c: Context<EdgeEnv>, extra: Record<string, string> = {}, drop: string[] = []): Promise<Response> {
  const cfg = c.get("cfg");
  const req = c.req.raw;
  const url = new URL(req.url);
  const target = `${cfg.CORE_ORIGIN}${url.pathname}${url.search}`;
  const headers = new Headers(req.headers);
  for (const h of [...DROP, ...drop]) headers.delete(h);
  headers.set("x-request-id", c.get("requestId"));
  headers.set("x-forwarded-host", url.host);
  headers.set("x-forwarded-proto", url.protocol.replace(":", ""));
  for (const [k, v] of Object.entries(extra)) headers.set(k, v);
  const claims = c.get("claims");
  if (claims && cfg.EDGE_TRUST_SECRET) {
    const trust = { userId: claims.sub, sessionId: claims.sid, ts: Math.floor(Date.now() / 1000), nonce: newTrustNonce() };
    headers.set(
      EDGE_TRUST_HEADER,
      await signEdgeTrust(cfg.EDGE_TRUST_SECRET, trust, { method: req.method, path: url.pathname + url.search }),
    );
  }
  const hasBody = req.method !== "GET" && req.method !== "HEAD" && req.body !== null;
  const abort = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    abort.abort();
  }, cfg.ORIGIN_TIMEOUT_S * 1000);
  const cls = c.get("routeClass");
  try {
    const res = await fetch(target, {
      method: req.method,
      headers,
      body: hasBody ? req.body : undefined,
      signal: abort.signal,
      redirect: "manual",
    });
    countOrigin(c, cls, res.status >= 500 ? "error" : "ok");
    const out = new Response(res.body, res);
    out.headers.set("x-request-id", c.get("requestId"));
    return out;
  } catch {
    countOrigin(c, cls, timedOut ? "timeout" : "unreachable");
    if (timedOut) return errorResponse(c, "UNAVAILABLE", "The origin did not answer in time", 504);
    return errorResponse(c, "UNAVAILABLE", "The origin could not be reached", 502);
  } finally {
    clearTimeout(timer);
  }
}
