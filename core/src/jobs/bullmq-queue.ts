import { type ConnectionOptions, type Job, type JobsOptions, Queue, Worker } from "bullmq";
import type Redis from "ioredis";
import type { Logger } from "../lib/logger";
import type { Metrics } from "../lib/metrics";
import {
  backoffDelay,
  DEFAULT_ATTEMPTS,
  DEFAULT_BACKOFF_MS,
  type JobHandler,
  type JobOptions,
  type JobQueue,
  type QueueCounts,
  type QueuedJob,
  type WorkerOptions,
} from "./queue";

interface Batch {
  jobs: QueuedJob<unknown>[];
  done: Promise<void>;
}

interface Registration {
  handler: JobHandler<unknown>;
  opts: Required<Omit<WorkerOptions, "coalesce">>;
  coalesce?: WorkerOptions["coalesce"];
}

/** Job ids must not contain ':' in BullMQ (it separates key parts). */
function safeId(id: string): string {
  return id.replaceAll(":", "_");
}

/**
 * Jobs in Redis through BullMQ, shared by every core pod. Workers use their own connection
 * (BullMQ needs a blocking one with maxRetriesPerRequest null); producers reuse one per queue.
 */
export class BullMqJobQueue implements JobQueue {
  readonly kind = "bullmq" as const;
  private readonly queues = new Map<string, Queue>();
  private readonly workers: Worker[] = [];
  private readonly registrations = new Map<string, Registration>();
  /** Adds gathered in this tick, per queue; sent together as one addBulk (one round trip). */
  private readonly batches = new Map<string, Batch>();
  /** Batches sent and not yet confirmed: drain() waits for them. */
  private readonly sending = new Set<Promise<void>>();

  constructor(
    private readonly connection: () => Redis,
    private readonly logger: Logger,
    private readonly metrics?: Metrics,
    private readonly prefix = "tcc:jobs",
  ) {}

  private queue(name: string): Queue {
    let q = this.queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: this.connection() as unknown as ConnectionOptions, prefix: this.prefix });
      q.on("error", (err) => this.logger.warn({ queue: name, err: String(err) }, "job queue error"));
      this.queues.set(name, q);
    }
    return q;
  }

  handle<T>(name: string, handler: JobHandler<T>, opts: WorkerOptions = {}): void {
    const { coalesce, ...rest } = opts;
    this.registrations.set(name, {
      handler: handler as JobHandler<unknown>,
      opts: { concurrency: 1, attempts: DEFAULT_ATTEMPTS, backoffMs: DEFAULT_BACKOFF_MS, ...rest },
      coalesce,
    });
    if (this.metrics && !this.metrics.jobSources.names.includes(name)) this.metrics.jobSources.names.push(name);
  }

  /**
   * Resolves once the job is in Redis. Jobs enqueued in the same tick go together in one addBulk:
   * under a burst of writes that is one round trip (and one write to the socket) for many jobs.
   */
  enqueue<T>(name: string, data: T, opts: JobOptions = {}): Promise<void> {
    let batch = this.batches.get(name);
    if (!batch) {
      const jobs: Batch["jobs"] = [];
      const done = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        this.batches.delete(name);
        const reg = this.registrations.get(name);
        const sent = reg?.coalesce && jobs.length > 1 ? reg.coalesce(jobs) : jobs;
        return this.queue(name).addBulk(sent.map((job) => this.toBullMq(name, reg, job)));
      });
      const sent = done.then(
        () => undefined,
        () => undefined,
      );
      this.sending.add(sent);
      void sent.then(() => this.sending.delete(sent));
      batch = { jobs, done: done.then(() => undefined) };
      this.batches.set(name, batch);
    }
    batch.jobs.push({ data, opts });
    return batch.done;
  }

  private toBullMq(name: string, reg: Registration | undefined, { data, opts }: QueuedJob<unknown>) {
    const bullOpts: JobsOptions = {
      jobId: opts.jobId ? safeId(opts.jobId) : undefined,
      delay: opts.delayMs,
      attempts: reg?.opts.attempts ?? DEFAULT_ATTEMPTS,
      backoff: { type: "jittered", delay: reg?.opts.backoffMs ?? DEFAULT_BACKOFF_MS },
      removeOnComplete: true,
      // Failed jobs stay (capped) so they can be inspected and counted.
      removeOnFail: { count: 1000 },
    };
    return { name, data, opts: bullOpts };
  }

  async repeat<T>(name: string, { id, everyMs, data }: { id: string; everyMs: number; data: T }): Promise<void> {
    const queue = this.queue(name);
    if (everyMs <= 0) {
      await queue.removeJobScheduler(safeId(id));
      return;
    }
    // Upserted by every process with the same id: one scheduler in Redis, one job per interval.
    await queue.upsertJobScheduler(
      safeId(id),
      { every: everyMs },
      { name, data, opts: { attempts: 1, removeOnComplete: true, removeOnFail: { count: 100 } } },
    );
  }

  async start(): Promise<void> {
    for (const [name, reg] of this.registrations) {
      const worker = new Worker(
        name,
        async (job: Job) => {
          const end = this.metrics?.jobDuration.startTimer({ queue: name });
          try {
            await reg.handler(job.data, { id: job.id ?? "", attempt: job.attemptsMade + 1 });
          } finally {
            end?.();
          }
        },
        {
          connection: this.connection() as unknown as ConnectionOptions,
          prefix: this.prefix,
          concurrency: reg.opts.concurrency,
          settings: { backoffStrategy: (attemptsMade: number) => backoffDelay(attemptsMade, reg.opts.backoffMs) },
        },
      );
      worker.on("completed", () => this.metrics?.jobs.inc({ queue: name, outcome: "completed" }));
      worker.on("failed", (job, err) => {
        const last = !job || job.attemptsMade >= (job.opts.attempts ?? 1);
        this.metrics?.jobs.inc({ queue: name, outcome: last ? "failed" : "retried" });
        this.logger.warn(
          { queue: name, jobId: job?.id, attempt: job?.attemptsMade, err: String(err) },
          last ? "job failed" : "job will retry",
        );
      });
      worker.on("error", (err) => this.logger.warn({ queue: name, err: String(err) }, "job worker error"));
      this.workers.push(worker);
    }
  }

  async counts(name: string): Promise<QueueCounts> {
    const c = await this.queue(name).getJobCounts("waiting", "active", "delayed", "failed", "prioritized");
    return { waiting: (c.waiting ?? 0) + (c.prioritized ?? 0), active: c.active ?? 0, delayed: c.delayed ?? 0, failed: c.failed ?? 0 };
  }

  async removeWhere(match: (data: unknown) => boolean): Promise<number> {
    let removed = 0;
    const names = new Set([...this.registrations.keys(), ...this.queues.keys()]);
    for (const name of names) {
      // Active jobs are locked by their worker and cannot be removed; their handlers find nothing left to do.
      const jobs = await this.queue(name).getJobs(["waiting", "prioritized", "delayed", "failed", "completed"]);
      for (const job of jobs) {
        if (!job || !match(job.data)) continue;
        await job.remove().then(
          () => removed++,
          (err: unknown) => this.logger.warn({ queue: name, jobId: job.id, err: String(err) }, "could not remove a job"),
        );
      }
    }
    return removed;
  }

  async drain(name: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    // Jobs enqueued but not yet in Redis count as waiting.
    while (this.batches.size || this.sending.size) await Promise.all([...this.sending, Bun.sleep(1)]);
    for (;;) {
      const c = await this.counts(name);
      if (c.waiting + c.active + c.delayed === 0) return;
      if (Date.now() > deadline) throw new Error(`queue ${name} did not drain in ${timeoutMs} ms`);
      await Bun.sleep(25);
    }
  }

  async close(): Promise<void> {
    // Jobs enqueued before the stop still reach Redis.
    while (this.batches.size || this.sending.size) await Promise.all([...this.sending, Bun.sleep(1)]);
    await Promise.allSettled(this.workers.map((w) => w.close()));
    await Promise.allSettled([...this.queues.values()].map((q) => q.close()));
  }
}
