import { describe, expect, test } from "bun:test";
import { gcra } from "./gcra";

describe("GCRA rate limiter math", () => {
  const rule = { limit: 3, periodMs: 3000 };

  test("allows a burst of `limit`, then refuses with the wait until the next slot", () => {
    let tat: number | null = null;
    const remaining: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = gcra(tat, 1000, rule);
      expect(r.decision.allowed).toBe(true);
      remaining.push(r.decision.remaining);
      tat = r.tat;
    }
    expect(remaining).toEqual([2, 1, 0]);
    const refused = gcra(tat, 1000, rule);
    expect(refused.decision.allowed).toBe(false);
    expect(refused.decision.retryAfterMs).toBe(1000);
    expect(refused.tat).toBe(tat); // refusals do not consume capacity
  });

  test("capacity returns at the emission rate", () => {
    let tat: number | null = null;
    for (let i = 0; i < 3; i++) tat = gcra(tat, 0, rule).tat;
    expect(gcra(tat, 999, rule).decision.allowed).toBe(false);
    const later = gcra(tat, 1000, rule);
    expect(later.decision.allowed).toBe(true);
    expect(later.decision.remaining).toBe(0);
    expect(gcra(null, 0, rule).decision.resetMs).toBe(1000);
  });

  test("an idle key starts full again", () => {
    let tat: number | null = null;
    for (let i = 0; i < 3; i++) tat = gcra(tat, 0, rule).tat;
    expect(gcra(tat, 10_000, rule).decision.remaining).toBe(2);
  });
});
