import { collectProcessMetrics } from "@tcc/shared/runtime";
import { Counter, Gauge, Histogram, Registry } from "prom-client";

export type Metrics = ReturnType<typeof createMetrics>;

/** Sources the gauges read at scrape time, filled in once the pool and scheduler exist. */
export interface GaugeSources {
  queueDepth?: () => Record<string, number>;
  nodes?: () => { url: string; healthy: boolean; inUse: number }[];
}

/** Every metric the gateway exports (`tcc_ai_*`, next to core's `tcc_*`). */
export function createMetrics(opts: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (opts.defaultMetrics !== false) collectProcessMetrics(registry);
  const sources: GaugeSources = {};
  const latency = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
  return {
    registry,
    sources,
    responseDuration: new Histogram({
      name: "tcc_ai_response_duration_seconds",
      help: "Time from request to the last byte of the response, by model and endpoint",
      labelNames: ["model", "endpoint"] as const,
      buckets: latency,
      registers: [registry],
    }),
    tokens: new Counter({
      name: "tcc_ai_tokens_total",
      help: "Tokens reported by upstream usage, by model and type (prompt, completion)",
      labelNames: ["model", "type"] as const,
      registers: [registry],
    }),
    queueWait: new Histogram({
      name: "tcc_ai_queue_wait_seconds",
      help: "Time a request waited for a node slot, by priority",
      labelNames: ["priority"] as const,
      buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60],
      registers: [registry],
    }),
    timeToFirstToken: new Histogram({
      name: "tcc_ai_time_to_first_token_seconds",
      help: "Time from request to the first streamed chunk, by model",
      labelNames: ["model"] as const,
      buckets: latency,
      registers: [registry],
    }),
    upstreamErrors: new Counter({
      name: "tcc_ai_upstream_errors_total",
      help: "Failed upstream attempts by node and kind (connection, status_5xx, status_4xx, aborted)",
      labelNames: ["node", "kind"] as const,
      registers: [registry],
    }),
    cache: new Counter({
      name: "tcc_ai_cache_requests_total",
      help: "Response cache lookups by endpoint and result (hit, miss)",
      labelNames: ["endpoint", "result"] as const,
      registers: [registry],
    }),
    rejected: new Counter({
      name: "tcc_ai_rejected_total",
      help: "Requests refused before reaching a node, by reason (queue_full, quota_exceeded, deadline_exceeded)",
      labelNames: ["reason"] as const,
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: "tcc_ai_queue_depth",
      help: "Requests waiting for a node slot, by priority",
      labelNames: ["priority"] as const,
      registers: [registry],
      collect() {
        for (const [priority, n] of Object.entries(sources.queueDepth?.() ?? {})) this.set({ priority }, n);
      },
    }),
    nodeHealthy: new Gauge({
      name: "tcc_ai_node_healthy",
      help: "1 while an LM Studio node answers its health check",
      labelNames: ["node"] as const,
      registers: [registry],
      collect() {
        for (const n of sources.nodes?.() ?? []) this.set({ node: n.url }, n.healthy ? 1 : 0);
      },
    }),
    slotsInUse: new Gauge({
      name: "tcc_ai_slots_in_use",
      help: "Node slots this gateway process holds for running requests",
      labelNames: ["node"] as const,
      registers: [registry],
      collect() {
        for (const n of sources.nodes?.() ?? []) this.set({ node: n.url }, n.inUse);
      },
    }),
  };
}
