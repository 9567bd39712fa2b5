// Bounded background load for the drills: a few workers calling the API in a loop until told to
// stop (or a hard deadline), every outcome recorded so a drill can show what failed and when.

export interface Outcome {
  kind: string;
  status: number;
  /** ms since the load started */
  at: number;
  ms: number;
  error?: string;
}

export interface Load {
  /** Date.now() when the load started: `at` of every outcome counts from here. */
  startedAt: number;
  outcomes: Outcome[];
  stop(): Promise<Outcome[]>;
}

/**
 * Runs `workers` loops of `step` until stop() (at most `maxMs`). A step returns what it did and
 * the status it got; a throw (connection refused, timeout) is recorded as status 0.
 */
export function startLoad(
  workers: number,
  step: (worker: number, i: number) => Promise<{ kind: string; status: number }>,
  maxMs = 30_000,
): Load {
  const outcomes: Outcome[] = [];
  const started = Date.now();
  let running = true;
  const loops = Array.from({ length: workers }, async (_, w) => {
    for (let i = 0; running && Date.now() - started < maxMs; i++) {
      const t0 = Date.now();
      try {
        const { kind, status } = await step(w, i);
        outcomes.push({ kind, status, at: t0 - started, ms: Date.now() - t0 });
      } catch (err) {
        outcomes.push({ kind: "error", status: 0, at: t0 - started, ms: Date.now() - t0, error: (err as Error).message });
      }
    }
  });
  return {
    startedAt: started,
    outcomes,
    async stop() {
      running = false;
      await Promise.all(loops);
      return outcomes;
    },
  };
}

/** Counts of outcomes by "kind status", for an assertion message that says what happened. */
export function tally(outcomes: Outcome[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const o of outcomes) counts[`${o.kind} ${o.status}`] = (counts[`${o.kind} ${o.status}`] ?? 0) + 1;
  return counts;
}
