import type { Database } from "@tcc/db";
import { collectProcessMetrics } from "@tcc/shared/runtime";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { JobQueue } from "../jobs/queue";
import type { KV } from "./kv";

export type Metrics = ReturnType<typeof createMetrics>;

/** Every metric core exports; names follow the architecture guide (`tcc_*`). */
export function createMetrics(opts: { db?: Database; kv?: KV; defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (opts.defaultMetrics !== false) collectProcessMetrics(registry);
  const { db, kv } = opts;
  // The job queue is built after the metrics it reports to; bootstrap fills these in.
  const jobSources: { queue?: JobQueue; names: string[] } = { names: [] };
  const COUNTS_TIMEOUT_MS = 500;
  const requests = new Counter({
    name: "tcc_requests_total",
    help: "HTTP requests by route template and status",
    labelNames: ["method", "route", "status"] as const,
    registers: [registry],
  });
  const requestDuration = new Histogram({
    name: "tcc_request_duration_seconds",
    help: "HTTP request duration by route template",
    labelNames: ["method", "route"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  // The label children per method, route and status, found once: prom-client hashes a labels
  // object on every inc/observe, which was most of what counting a request cost.
  const requestChildren = new Map<string, { count: { inc(): void }; time: { observe(v: number): void } }>();
  const observeRequest = (method: string, route: string, status: number, seconds: number) => {
    const key = `${method} ${status} ${route}`;
    let child = requestChildren.get(key);
    if (!child) {
      child = { count: requests.labels(method, route, String(status)), time: requestDuration.labels(method, route) };
      requestChildren.set(key, child);
    }
    child.count.inc();
    child.time.observe(seconds);
  };
  return {
    observeRequest,
    jobSources,
    chatAnswers: new Counter({
      name: "tcc_chat_answers_total",
      help: "Chat questions by outcome (done, error, aborted by the client)",
      labelNames: ["outcome"] as const,
      registers: [registry],
    }),
    chatToolCalls: new Counter({
      name: "tcc_chat_tool_calls_total",
      help: "Tool calls the model made in chat, by tool (unknown for a name not offered) and whether they ran",
      labelNames: ["tool", "ok"] as const,
      registers: [registry],
    }),
    jobs: new Counter({
      name: "tcc_jobs_total",
      help: "Background job runs by queue and outcome (completed, retried, failed)",
      labelNames: ["queue", "outcome"] as const,
      registers: [registry],
    }),
    jobDuration: new Histogram({
      name: "tcc_job_duration_seconds",
      help: "Background job run time by queue",
      labelNames: ["queue"] as const,
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    jobDepth: new Gauge({
      name: "tcc_jobs_queued",
      help: "Background jobs by queue and state (waiting, active, delayed, failed)",
      labelNames: ["queue", "state"] as const,
      registers: [registry],
      async collect() {
        const queue = jobSources.queue;
        if (!queue) return;
        this.reset();
        for (const name of jobSources.names) {
          // Bounded: BullMQ's connection queues commands while Redis is away, and a scrape must never hang.
          const counts = await Promise.race([queue.counts(name), Bun.sleep(COUNTS_TIMEOUT_MS).then(() => null)]).catch(() => null);
          if (!counts) continue;
          for (const [state, n] of Object.entries(counts)) this.set({ queue: name, state }, n);
        }
      },
    }),
    registry,
    requests,
    requestDuration,
    cache: new Counter({
      name: "tcc_cache_requests_total",
      help: "Cache lookups by cache name and result (hit or miss)",
      labelNames: ["cache", "result"] as const,
      registers: [registry],
    }),
    rateLimited: new Counter({
      name: "tcc_rate_limited_total",
      help: "Requests refused by a rate limit, by scope",
      labelNames: ["scope"] as const,
      registers: [registry],
    }),
    dbReads: new Counter({
      name: "tcc_db_reads_routed_total",
      help: "Read handles handed out, by target (primary or replica)",
      labelNames: ["target"] as const,
      registers: [registry],
      collect() {
        if (!db) return;
        this.reset();
        this.inc({ target: "primary" }, db.routing.primary);
        this.inc({ target: "replica" }, db.routing.replica);
      },
    }),
    replicaHealthy: new Gauge({
      name: "tcc_db_replica_healthy",
      help: "1 when a read replica is within the allowed lag and answering",
      labelNames: ["replica"] as const,
      registers: [registry],
      collect() {
        if (!db) return;
        this.reset();
        for (const [i, r] of db.replicas().entries()) this.set({ replica: String(i) }, r.healthy ? 1 : 0);
      },
    }),
    replicaLag: new Gauge({
      name: "tcc_db_replica_lag_seconds",
      help: "Replay lag of each read replica",
      labelNames: ["replica"] as const,
      registers: [registry],
      collect() {
        if (!db) return;
        this.reset();
        for (const [i, r] of db.replicas().entries()) if (r.lagSeconds !== null) this.set({ replica: String(i) }, r.lagSeconds);
      },
    }),
    cacheBackendUp: new Gauge({
      name: "tcc_cache_backend_up",
      help: "1 while the cache backend (Redis, or process memory in the embedded default) answers",
      labelNames: ["kind"] as const,
      registers: [registry],
      collect() {
        if (!kv) return;
        this.reset();
        this.set({ kind: kv.kind }, kv.healthy ? 1 : 0);
      },
    }),
    poolInFlight: new Gauge({
      name: "tcc_db_pool_in_flight",
      help: "Queries and transactions holding a connection right now, per pool",
      labelNames: ["pool"] as const,
      registers: [registry],
      collect() {
        if (!db) return;
        const busy = db.inFlight();
        this.set({ pool: "primary" }, busy.primary);
        this.set({ pool: "replica" }, busy.replica);
      },
    }),
    poolMax: new Gauge({
      name: "tcc_db_pool_max_connections",
      help: "Configured maximum connections per pool",
      labelNames: ["pool"] as const,
      registers: [registry],
    }),
  };
}
