import type { MiddlewareHandler } from "hono";
import { identify } from "../auth/identify";
import { revokedInDatabase } from "../auth/revocation";
import { adoptRecentWrite } from "../db/wrote";
import { AppError } from "../errors";
import { ReadCache } from "../lib/read-cache";
import { recentWriteKey } from "../lib/write-marks";
import { clientIp } from "./client-ip";
import { applyHeaders, MINUTE, refuse } from "./rate-limit";
import type { AppEnv, SignedInEnv } from "./types";

/**
 * The front door of every route that takes a token: identify the caller locally, then one
 * gate call (one Redis round trip) for the per-IP and per-user limits, logout revocation, the
 * cluster-wide read-your-writes mark and the user's read-cache versions.
 */
export function protect(): MiddlewareHandler<AppEnv & SignedInEnv> {
  return async (c, next) => {
    const s = c.get("services");
    const ipKey = `tcc:rl:ip:${clientIp(c, s.env.TRUST_PROXY)}`;
    const ipRule = { limit: s.env.RATE_LIMIT_IP_PER_MIN, periodMs: MINUTE };
    let who: Awaited<ReturnType<typeof identify>>;
    try {
      who = await identify(c);
    } catch (err) {
      // Bad credentials spend the IP budget too, so guessing tokens is rate-limited.
      const d = await s.limiter.check(ipKey, ipRule);
      if (!d.allowed) refuse(c, "ip", d);
      throw err;
    }
    const { userId } = who.auth;
    const g = await s.gate.check({
      ipKey,
      ipRule,
      userKey: `tcc:rl:user:${userId}`,
      userRule: { limit: s.env.RATE_LIMIT_USER_PER_MIN, periodMs: MINUTE },
      denyKey: who.denyKey,
      writeKey: recentWriteKey(userId),
      versionKey: ReadCache.versionKey(userId),
    });
    if (!g.ip.allowed) refuse(c, "ip", g.ip);
    if (g.user && !g.user.allowed) refuse(c, "user", g.user);
    // Without Redis the denylist cannot be read: ask the database, never assume "not logged out".
    const revoked =
      g.revoked ||
      (who.auth.sessionId !== undefined &&
        !s.security.healthy &&
        (await revokedInDatabase({ ctx: { s }, input: { userId, sessionId: who.auth.sessionId } })));
    if (revoked) throw new AppError("UNAUTHORIZED", "Session has been logged out");
    adoptRecentWrite(s, userId, g.recentWrite);
    if (g.user) applyHeaders(c, g.user);
    c.set("auth", who.auth);
    c.set("cacheStamp", g.cacheStamp);
    await next();
  };
}
