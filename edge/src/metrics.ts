import { DurableObject } from "cloudflare:workers";
import type { Context } from "hono";
import type { Bindings, RouteClass } from "./env";
import type { EdgeEnv } from "./types";

export type CacheStatus = "HIT" | "MISS" | "REVALIDATED" | "BYPASS";
export type OriginOutcome = "ok" | "error" | "timeout" | "unreachable";
export type RejectReason = "auth" | "rate_limit";

const HELP: Record<string, string> = {
  tcc_edge_requests_total: "Requests the edge answered, by route_class and cache (HIT, MISS, REVALIDATED, BYPASS)",
  tcc_edge_origin_requests_total: "Requests the edge sent to core, by route_class and outcome (ok, error, timeout, unreachable)",
  tcc_edge_rejected_total: "Requests the edge refused itself, by route_class and reason (auth, rate_limit)",
};

/** Counts of this isolate not yet handed to the EdgeMetrics object: `name{labels}` → n. */
const pending = new Map<string, number>();
let lastFlush = 0;
let flushing: Promise<void> | null = null;

function series(name: string, labels: Record<string, string>): string {
  return `${name}{${Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(",")}}`;
}

function add(c: Context<EdgeEnv>, key: string) {
  pending.set(key, (pending.get(key) ?? 0) + 1);
  // Counting costs no round trip: the isolate batches, at most one hand-over a second.
  if (!flushing && Date.now() - lastFlush >= 1000) c.executionCtx.waitUntil(flushMetrics(c.env));
}

export const countRequest = (c: Context<EdgeEnv>, cls: RouteClass, cache: CacheStatus) =>
  add(c, series("tcc_edge_requests_total", { route_class: cls, cache }));
export const countOrigin = (c: Context<EdgeEnv>, cls: RouteClass, outcome: OriginOutcome) =>
  add(c, series("tcc_edge_origin_requests_total", { route_class: cls, outcome }));
export const countRejected = (c: Context<EdgeEnv>, cls: RouteClass, reason: RejectReason) =>
  add(c, series("tcc_edge_rejected_total", { route_class: cls, reason }));

function stub(env: Bindings) {
  return env.EDGE_METRICS.get(env.EDGE_METRICS.idFromName("global"));
}

/** Hands this isolate's counts to the one EdgeMetrics object (they are added there). */
export function flushMetrics(env: Bindings): Promise<void> {
  if (flushing) return flushing;
  lastFlush = Date.now();
  const batch = Object.fromEntries(pending);
  pending.clear();
  if (Object.keys(batch).length === 0) return Promise.resolve();
  flushing = stub(env)
    .add(batch)
    .catch(() => {
      for (const [k, v] of Object.entries(batch)) pending.set(k, (pending.get(k) ?? 0) + v);
    })
    .finally(() => {
      flushing = null;
    });
  return flushing;
}

/** Prometheus text of every isolate's counts, after this isolate's own pending ones. */
export async function scrape(env: Bindings): Promise<string> {
  await flushMetrics(env);
  await flushMetrics(env); // a flush already in flight when the scrape arrived did not carry ours
  return stub(env).render();
}

/**
 * The edge's counters, one object for the Worker. Counters are kept in memory and written
 * through to the object's SQLite storage, so they survive the object being evicted.
 */
export class EdgeMetrics extends DurableObject<Bindings> {
  private counts = new Map<string, number>();

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS counters (series TEXT PRIMARY KEY, value INTEGER NOT NULL)");
    for (const row of ctx.storage.sql.exec<{ series: string; value: number }>("SELECT series, value FROM counters")) {
      this.counts.set(row.series, row.value);
    }
  }

  add(batch: Record<string, number>): void {
    for (const [key, n] of Object.entries(batch)) {
      const value = (this.counts.get(key) ?? 0) + n;
      this.counts.set(key, value);
      this.ctx.storage.sql.exec("INSERT OR REPLACE INTO counters (series, value) VALUES (?, ?)", key, value);
    }
  }

  render(): string {
    const lines: string[] = [];
    for (const [name, help] of Object.entries(HELP)) {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
      for (const [key, value] of [...this.counts].sort()) if (key.startsWith(`${name}{`)) lines.push(`${key} ${value}`);
    }
    return `${lines.join("\n")}\n`;
  }
}
