/**
 * Generic cell rate algorithm: one number per key (the theoretical arrival time, TAT) gives
 * a smooth limit of `limit` requests per `periodMs` with a burst of up to `limit`.
 * Pure, so the same math runs in memory, in Redis (see rate-limit.ts) and in unit tests.
 */
export interface RateRule {
  limit: number;
  periodMs: number;
}

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Milliseconds until the window is fully replenished. */
  resetMs: number;
  /** Milliseconds to wait before a retry can succeed; 0 when allowed. */
  retryAfterMs: number;
}

export function gcra(tat: number | null, now: number, rule: RateRule): { decision: RateDecision; tat: number | null } {
  const interval = rule.periodMs / rule.limit;
  const base = Math.max(tat ?? now, now);
  const next = base + interval;
  const allowAt = next - rule.periodMs;
  if (now < allowAt) {
    return {
      decision: {
        allowed: false,
        limit: rule.limit,
        remaining: 0,
        resetMs: Math.ceil(base - now),
        retryAfterMs: Math.ceil(allowAt - now),
      },
      tat, // a refused request does not consume capacity
    };
  }
  return {
    decision: {
      allowed: true,
      limit: rule.limit,
      remaining: Math.max(0, Math.floor((rule.periodMs - (next - now)) / interval)),
      resetMs: Math.ceil(next - now),
      retryAfterMs: 0,
    },
    tat: next,
  };
}
