// Samples, their aggregation, and k6's threshold language (`p(95)<2000`, `rate<0.01`,
// `count==0`, …) over metric selectors like `http_req_duration{scenario:create}`.

export type MetricType = "counter" | "rate" | "trend" | "gauge";
export type Tags = Record<string, string>;
export interface Sample {
  metric: string;
  value: number;
  tags: Tags;
}

/** k6's built-in metrics this runner produces. */
export const BUILTIN: Record<string, MetricType> = {
  http_reqs: "counter",
  http_req_duration: "trend",
  http_req_failed: "rate",
  checks: "rate",
  iterations: "counter",
  iteration_duration: "trend",
  dropped_iterations: "counter",
  data_received: "counter",
};

export class MetricStore {
  readonly types = new Map<string, MetricType>(Object.entries(BUILTIN));
  readonly samples: Sample[] = [];

  define(name: string, type: MetricType) {
    const known = this.types.get(name);
    if (known && known !== type) throw new Error(`metric ${name} is a ${known}, not a ${type}`);
    this.types.set(name, type);
  }

  add(s: Sample) {
    this.samples.push(s);
  }

  select(selector: string): { name: string; type: MetricType | undefined; values: number[] } {
    const m = selector.match(/^([\w.]+)(?:\{(.*)\})?$/);
    if (!m) throw new Error(`bad metric selector: ${selector}`);
    const name = m[1] as string;
    const wanted = (m[2] ?? "")
      .split(",")
      .filter(Boolean)
      .map((kv) => {
        const i = kv.indexOf(":");
        return [kv.slice(0, i).trim(), kv.slice(i + 1).trim()] as const;
      });
    const values = this.samples.filter((s) => s.metric === name && wanted.every(([k, v]) => s.tags[k] === v)).map((s) => s.value);
    return { name, type: this.types.get(name), values };
  }
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  // k6 interpolates between the two nearest ranks.
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (rank - lo);
}

/** The value of one aggregation (`avg`, `p(95)`, `rate`, `count`, …) over a metric's samples. */
export function aggregate(type: MetricType | undefined, values: number[], agg: string, durationS: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const sum = values.reduce((a, b) => a + b, 0);
  const p = agg.match(/^p\((\d+(?:\.\d+)?)\)$/);
  if (p) return percentile(sorted, Number(p[1]));
  switch (agg) {
    case "avg":
      return sum / values.length;
    case "min":
      return sorted[0] ?? Number.NaN;
    case "max":
      return sorted[sorted.length - 1] ?? Number.NaN;
    case "med":
      return percentile(sorted, 50);
    case "count":
      return type === "counter" ? sum : values.length;
    case "rate":
      // A Rate is the share of non-zero samples; a Counter's rate is per second.
      return type === "rate" ? values.filter((v) => v !== 0).length / values.length : sum / durationS;
    case "value":
      return values[values.length - 1] ?? Number.NaN;
    default:
      throw new Error(`unknown aggregation ${agg}`);
  }
}

const OPS: Record<string, (a: number, b: number) => boolean> = {
  "<": (a, b) => a < b,
  "<=": (a, b) => a <= b,
  ">": (a, b) => a > b,
  ">=": (a, b) => a >= b,
  "==": (a, b) => a === b,
  "===": (a, b) => a === b,
  "!=": (a, b) => a !== b,
};

export interface ThresholdResult {
  metric: string;
  expression: string;
  /** false when the metric had no samples: k6 does not fail such a threshold, and neither do we. */
  evaluated: boolean;
  ok: boolean;
  value: number | null;
  samples: number;
  abortOnFail: boolean;
}

type ThresholdSpec = string | { threshold: string; abortOnFail?: boolean };

export function evaluateThresholds(store: MetricStore, thresholds: Record<string, ThresholdSpec[]>, durationS: number): ThresholdResult[] {
  const results: ThresholdResult[] = [];
  for (const [selector, specs] of Object.entries(thresholds)) {
    const { type, values } = store.select(selector);
    for (const spec of specs) {
      const expression = typeof spec === "string" ? spec : spec.threshold;
      const m = expression.replace(/\s+/g, "").match(/^([a-z]+|p\(\d+(?:\.\d+)?\))(<=|>=|===|==|!=|<|>)(-?\d+(?:\.\d+)?)$/);
      if (!m) throw new Error(`bad threshold ${selector}: ${expression}`);
      const [, agg, op, limit] = m as unknown as [string, string, string, string];
      const evaluated = values.length > 0;
      const value = evaluated ? aggregate(type, values, agg, durationS) : null;
      const ok = value === null || (OPS[op] as (a: number, b: number) => boolean)(value, Number(limit));
      results.push({
        metric: selector,
        expression,
        evaluated,
        ok,
        value,
        samples: values.length,
        abortOnFail: typeof spec === "object" && !!spec.abortOnFail,
      });
    }
  }
  return results;
}
