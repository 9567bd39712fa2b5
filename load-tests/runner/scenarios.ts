// k6's scenario configuration: the option shortcuts turned into scenarios, durations parsed,
// and the smoke scaling that shrinks any scenario to a few seconds and a couple of VUs.

export interface Stage {
  duration: string;
  target: number;
}

export interface Scenario {
  executor: string;
  exec?: string;
  startTime?: string;
  gracefulStop?: string;
  env?: Record<string, string>;
  tags?: Record<string, string>;
  vus?: number;
  iterations?: number;
  duration?: string;
  maxDuration?: string;
  startVUs?: number;
  stages?: Stage[];
  rate?: number;
  startRate?: number;
  timeUnit?: string;
  preAllocatedVUs?: number;
  maxVUs?: number;
}

export interface K6Options {
  scenarios?: Record<string, Scenario>;
  vus?: number;
  iterations?: number;
  duration?: string;
  stages?: Stage[];
  thresholds?: Record<string, (string | { threshold: string; abortOnFail?: boolean })[]>;
  setupTimeout?: string;
  teardownTimeout?: string;
}

/** "1m30s", "500ms", "2h" → milliseconds. */
export function ms(duration: string | undefined, fallback = 0): number {
  if (duration === undefined || duration === "") return fallback;
  let total = 0;
  let rest = duration.trim();
  while (rest) {
    const m = rest.match(/^(\d+(?:\.\d+)?)(ms|s|m|h)/);
    if (!m) throw new Error(`bad duration "${duration}"`);
    total += Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as "ms"];
    rest = rest.slice(m[0].length);
  }
  return total;
}

const fmt = (millis: number) => `${Math.max(1, Math.round(millis))}ms`;

/** The scenarios a script runs, from `scenarios` or from the top-level shortcuts, as k6 does. */
export function scenariosOf(o: K6Options): Record<string, Scenario> {
  if (o.scenarios && Object.keys(o.scenarios).length) return o.scenarios;
  if (o.stages?.length) return { default: { executor: "ramping-vus", startVUs: 1, stages: o.stages } };
  if (o.duration) return { default: { executor: "constant-vus", vus: o.vus ?? 1, duration: o.duration } };
  return { default: { executor: "shared-iterations", vus: o.vus ?? 1, iterations: o.iterations ?? 1 } };
}

export const SMOKE = { totalMs: 4_000, durationMs: 3_000, vus: 2, maxVUs: 3, iterations: 2, perSecond: 5, startMs: 1_000 };

/**
 * The same traffic shape, a few seconds long: every duration and stage squeezed into ~3-4 s,
 * at most 2-3 VUs, 2 iterations and 5 arrivals per second. Enough to run every request and
 * check of a scenario against a real server and to evaluate every threshold.
 */
export function smoke(s: Scenario): Scenario {
  const out: Scenario = { ...s };
  const cap = (v: number | undefined, max: number) => (v === undefined ? undefined : Math.min(v, max));
  const perUnit = SMOKE.perSecond * (ms(s.timeUnit, 1000) / 1000);
  if (s.duration) out.duration = fmt(Math.min(ms(s.duration), SMOKE.durationMs));
  if (s.maxDuration) out.maxDuration = fmt(Math.min(ms(s.maxDuration), 30_000));
  if (s.startTime) out.startTime = fmt(Math.min(ms(s.startTime), SMOKE.startMs));
  if (s.stages) {
    const total = s.stages.reduce((sum, st) => sum + ms(st.duration), 0);
    const factor = total > SMOKE.totalMs ? SMOKE.totalMs / total : 1;
    const arrival = s.executor.includes("arrival-rate");
    out.stages = s.stages.map((st) => ({
      duration: fmt(ms(st.duration) * factor),
      target: Math.min(st.target, arrival ? perUnit : SMOKE.vus),
    }));
  }
  out.vus = cap(s.vus, SMOKE.vus);
  out.startVUs = cap(s.startVUs, SMOKE.vus);
  out.iterations = cap(s.iterations, SMOKE.iterations);
  out.rate = cap(s.rate, perUnit);
  out.startRate = cap(s.startRate, perUnit);
  out.preAllocatedVUs = cap(s.preAllocatedVUs, SMOKE.vus);
  out.maxVUs = cap(s.maxVUs, SMOKE.maxVUs);
  return out;
}

/** Linear interpolation through stages: the target (VUs or rate) at `t` ms after the start. */
export function stageTarget(start: number, stages: Stage[], t: number): number {
  let from = start;
  let at = 0;
  for (const st of stages) {
    const d = ms(st.duration);
    if (t < at + d) return from + ((st.target - from) * (t - at)) / d;
    at += d;
    from = st.target;
  }
  return from;
}

export const stagesMs = (stages: Stage[]) => stages.reduce((sum, st) => sum + ms(st.duration), 0);
