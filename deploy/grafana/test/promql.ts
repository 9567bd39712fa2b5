// Just enough PromQL reading to check a dashboard against real metrics: which metric names an
// expression selects, which labels its matchers name per metric, and which labels it groups
// or matches by. (promtool checks the syntax itself; see dashboard.test.ts.)

const KEYWORDS = new Set([
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  "and",
  "or",
  "unless",
  "bool",
  "offset",
  "inf",
  "nan",
]);

export interface PromqlRefs {
  metrics: Set<string>;
  /** Label names used in a metric's own matchers: {metric → labels}. */
  matchers: Map<string, Set<string>>;
  /** Labels in by/without/on/ignoring/group_* lists. */
  grouping: Set<string>;
}

export function references(expr: string): PromqlRefs {
  const metrics = new Set<string>();
  const matchers = new Map<string, Set<string>>();
  const grouping = new Set<string>();
  let s = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // strings (label values, legend text) never name metrics
    .replace(/\[[^\]]*\]/g, ""); // ranges and subqueries: [5m], [$__rate_interval]
  s = s.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g, (_, _kw, list: string) => {
    for (const l of list.split(",").map((x) => x.trim())) if (l) grouping.add(l);
    return " ";
  });
  s = s.replace(/([a-zA-Z_:][\w:]*)?\s*\{([^}]*)\}/g, (_, name: string | undefined, body: string) => {
    const labels = [...body.matchAll(/([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)/g)].map((m) => m[1] as string);
    const metric = name;
    if (metric) {
      metrics.add(metric);
      const set = matchers.get(metric) ?? new Set<string>();
      for (const l of labels) set.add(l);
      matchers.set(metric, set);
    }
    return " ";
  });
  for (const m of s.matchAll(/[a-zA-Z_:][\w:]*(?=\s*(\()?)/g)) {
    const word = m[0];
    if (m[1] || KEYWORDS.has(word.toLowerCase())) continue; // a function or aggregation, or a keyword
    if (/^\d/.test(word)) continue;
    metrics.add(word);
  }
  return { metrics, matchers, grouping };
}

/** name → label names seen on its series, and the names with a # TYPE line, from a /metrics text. */
export function parseExposition(text: string): { types: Map<string, string>; labels: Map<string, Set<string>> } {
  const types = new Map<string, string>();
  const labels = new Map<string, Set<string>>();
  for (const line of text.split("\n")) {
    const type = line.match(/^# TYPE (\S+) (\S+)/);
    if (type) {
      types.set(type[1] as string, type[2] as string);
      continue;
    }
    const series = line.match(/^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+\S+/);
    if (!series) continue;
    const set = labels.get(series[1] as string) ?? new Set<string>();
    for (const m of (series[2] ?? "").matchAll(/([a-zA-Z_]\w*)="/g)) set.add(m[1] as string);
    labels.set(series[1] as string, set);
  }
  return { types, labels };
}
