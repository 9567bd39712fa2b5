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
  type WorkerOptions,
} from "./queue";

interface Pending {
  id: string;
  data: unknown;
  attempt: number;
  runAt: number;
}

interface Lane {
  handler?: JobHandler<unknown>;
  opts: Required<Omit<WorkerOptions, "coalesce">>;
  waiting: Pending[];
  delayed: Map<ReturnType<typeof setTimeout>, Pending>;
  delayedCount: number;
  active: number;
  failed: number;
  ids: Set<string>;
}

/**
 * The embedded default's queue: jobs live in process memory and are lost on exit, so every
 * job kind has a start-up sweep (or a backfill command) that re-enqueues what is missing.
 */
export class MemoryJobQueue implements JobQueue {
  readonly kind = "memory" as const;
  private readonly lanes = new Map<string, Lane>();
  private started = false;
  private closed = false;
  private seq = 0;
  private readonly idle = new Set<() => void>();
  private readonly schedules = new Map<string, ReturnType<typeof setInterval>>();

  constructor(
    private readonly logger: Logger,
    private readonly metrics?: Metrics,
  ) {}

  private lane(name: string): Lane {
    let lane = this.lanes.get(name);
    if (!lane) {
      lane = {
        opts: { concurrency: 1, attempts: DEFAULT_ATTEMPTS, backoffMs: DEFAULT_BACKOFF_MS },
        waiting: [],
        delayed: new Map(),
        delayedCount: 0,
        active: 0,
        failed: 0,
        ids: new Set(),
      };
      this.lanes.set(name, lane);
    }
    return lane;
  }

  handle<T>(name: string, handler: JobHandler<T>, opts: WorkerOptions = {}): void {
    const lane = this.lane(name);
    lane.handler = handler as JobHandler<unknown>;
    if (this.metrics && !this.metrics.jobSources.names.includes(name)) this.metrics.jobSources.names.push(name);
    // coalesce is for queues that send jobs somewhere; here a job costs next to nothing.
    const { coalesce: _, ...rest } = opts;
    lane.opts = { ...lane.opts, ...rest };
  }

  async enqueue<T>(name: string, data: T, opts: JobOptions = {}): Promise<void> {
    if (this.closed) return;
    const lane = this.lane(name);
    const id = opts.jobId ?? `m${++this.seq}`;
    if (opts.jobId && lane.ids.has(id)) return;
    lane.ids.add(id);
    this.schedule(name, lane, { id, data, attempt: 1, runAt: Date.now() + (opts.delayMs ?? 0) });
  }

  async repeat<T>(name: string, { id, everyMs, data }: { id: string; everyMs: number; data: T }): Promise<void> {
    clearInterval(this.schedules.get(id));
    this.schedules.delete(id);
    if (everyMs <= 0 || this.closed) return;
    const add = () => void this.enqueue(name, data, { jobId: `repeat:${id}` });
    const timer = setInterval(add, everyMs);
    timer.unref(); // a schedule alone does not keep the process alive
    this.schedules.set(id, timer);
    add();
  }

  private schedule(name: string, lane: Lane, job: Pending): void {
    const wait = job.runAt - Date.now();
    if (wait <= 0) {
      lane.waiting.push(job);
      this.pump(name, lane);
      return;
    }
    lane.delayedCount++;
    const timer = setTimeout(() => {
      lane.delayed.delete(timer);
      lane.delayedCount--;
      lane.waiting.push(job);
      this.pump(name, lane);
    }, wait);
    lane.delayed.set(timer, job);
  }

  private pump(name: string, lane: Lane): void {
    if (!this.started || this.closed || !lane.handler) return;
    while (lane.active < lane.opts.concurrency && lane.waiting.length > 0) {
      const job = lane.waiting.shift() as Pending;
      lane.active++;
      void this.run(name, lane, job);
    }
    this.checkIdle();
  }

  private async run(name: string, lane: Lane, job: Pending): Promise<void> {
    const handler = lane.handler as JobHandler<unknown>;
    const end = this.metrics?.jobDuration.startTimer({ queue: name });
    try {
      await handler(job.data, { id: job.id, attempt: job.attempt });
      lane.ids.delete(job.id);
      this.metrics?.jobs.inc({ queue: name, outcome: "completed" });
    } catch (err) {
      const last = job.attempt >= lane.opts.attempts;
      this.metrics?.jobs.inc({ queue: name, outcome: last ? "failed" : "retried" });
      this.logger.warn({ queue: name, jobId: job.id, attempt: job.attempt, err: String(err) }, last ? "job failed" : "job will retry");
      if (last) {
        lane.failed++;
        lane.ids.delete(job.id);
      } else if (!this.closed) {
        this.schedule(name, lane, { ...job, attempt: job.attempt + 1, runAt: Date.now() + backoffDelay(job.attempt, lane.opts.backoffMs) });
      }
    } finally {
      end?.();
      lane.active--;
      this.pump(name, lane);
    }
  }

  private checkIdle(): void {
    for (const notify of this.idle) notify();
  }

  async start(): Promise<void> {
    this.started = true;
    for (const [name, lane] of this.lanes) this.pump(name, lane);
  }

  async counts(name: string): Promise<QueueCounts> {
    const lane = this.lane(name);
    return { waiting: lane.waiting.length, active: lane.active, delayed: lane.delayedCount, failed: lane.failed };
  }

  async removeWhere(match: (data: unknown) => boolean): Promise<number> {
    let removed = 0;
    for (const lane of this.lanes.values()) {
      const keep = lane.waiting.filter((j) => !match(j.data));
      for (const j of lane.waiting) if (match(j.data)) lane.ids.delete(j.id);
      removed += lane.waiting.length - keep.length;
      lane.waiting = keep;
      for (const [timer, job] of lane.delayed) {
        if (!match(job.data)) continue;
        clearTimeout(timer);
        lane.delayed.delete(timer);
        lane.delayedCount--;
        lane.ids.delete(job.id);
        removed++;
      }
    }
    this.checkIdle();
    return removed;
  }

  drain(name: string, timeoutMs = 30_000): Promise<void> {
    const lane = this.lane(name);
    const empty = () => lane.waiting.length === 0 && lane.active === 0 && lane.delayedCount === 0;
    if (empty()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.idle.delete(check);
        reject(new Error(`queue ${name} did not drain in ${timeoutMs} ms`));
      }, timeoutMs);
      const check = () => {
        if (!empty()) return;
        clearTimeout(timer);
        this.idle.delete(check);
        resolve();
      };
      this.idle.add(check);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.schedules.values()) clearInterval(timer);
    this.schedules.clear();
    for (const lane of this.lanes.values()) {
      for (const t of lane.delayed.keys()) clearTimeout(t);
      lane.delayed.clear();
      lane.delayedCount = 0;
      lane.waiting = [];
    }
    const deadline = Date.now() + 10_000;
    while ([...this.lanes.values()].some((l) => l.active > 0) && Date.now() < deadline) await Bun.sleep(10);
  }
}
