import { EDGE_TRUST_HEADER, verifyEdgeTrust } from "@tcc/shared/contracts";
import type { Context } from "hono";
import { AppError } from "../errors";
import type { AppEnv } from "../http/types";

const nonceKey = (nonce: string) => `tcc:edge:nonce:${nonce}`;

/**
 * The caller named by the edge's signed header (shared/contracts/edge-trust.ts), or null when
 * there is none or EDGE_TRUST_SECRET is unset (then the token is verified as usual). A header
 * that is present but forged, stale, for another request or seen before is refused outright:
 * falling back to the token would let a forger probe at no cost.
 */
export async function edgeTrusted<E extends AppEnv>(c: Context<E>): Promise<{ userId: string; sessionId: string } | null> {
  const header = c.req.header(EDGE_TRUST_HEADER);
  const s = c.get("services");
  const secret = s.env.EDGE_TRUST_SECRET;
  if (header === undefined || !secret) return null;
  const url = new URL(c.req.url);
  const windowS = s.env.EDGE_TRUST_WINDOW_S;
  const check = await verifyEdgeTrust(secret, header, {
    method: c.req.method,
    path: url.pathname + url.search,
    nowS: s.clock().getTime() / 1000,
    windowS,
  });
  if (!check.ok) throw new AppError("UNAUTHORIZED", "Invalid edge trust header");
  // First use wins; the key outlives the window, after which the timestamp refuses it anyway.
  if ((await s.kv.incr(nonceKey(check.trust.nonce), windowS * 2)) !== 1) throw new AppError("UNAUTHORIZED", "Replayed edge trust header");
  return { userId: check.trust.userId, sessionId: check.trust.sessionId };
}
