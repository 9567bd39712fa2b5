import type { Logger } from "../lib/logger";

/**
 * Background jobs: image derivatives, embeddings. BullMQ on Redis in the full stack (jobs
 * survive a restart and are shared by every core pod); an in-process queue in the embedded
 * default. Handlers must be idempotent: a job can run more than once (retry, crash, restart).
 */
export interface JobOptions {
  /** A job with the id of one still waiting is not added twice (BullMQ's dedupe by jobId). */
  jobId?: string;
  delayMs?: number;
}

export interface JobInfo {
  id: string;
  /** 1 on the first run. */
  attempt: number;
}

export interface WorkerOptions {
  concurrency?: number;
  /** Total runs before the job is marked failed (default 5). */
  attempts?: number;
  /** First retry delay; doubles per attempt, with jitter (default 1 s). */
  backoffMs?: number;
  /**
   * Combines jobs of this kind added in the same tick into fewer before they are sent (BullMQ:
   * each job added costs Redis a script run and core a Job object, whatever its data). The
   * handler must accept what it returns. The in-process queue sends nothing and ignores it.
   */
  coalesce?: (jobs: QueuedJob<unknown>[]) => QueuedJob<unknown>[];
}

/** A job as added: its data and options. */
export interface QueuedJob<T> {
  data: T;
  opts: JobOptions;
}

export type JobHandler<T> = (data: T, job: JobInfo) => Promise<void>;

export interface QueueCounts {
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
}

export interface JobQueue {
  readonly kind: "bullmq" | "memory";
  /** Registers the handler for a queue name; call before start(). */
  handle<T>(name: string, handler: JobHandler<T>, opts?: WorkerOptions): void;
  enqueue<T>(name: string, data: T, opts?: JobOptions): Promise<void>;
  /**
   * Adds a job of `name` with `data` every `everyMs` (the first soon after), under the schedule
   * `id`: calling it again with the same id replaces the schedule, `everyMs` 0 removes it. With
   * BullMQ the schedule lives in Redis, so every process that sets it shares one series of jobs,
   * each run by one worker; in memory it is this process's timer. A run still waiting or running
   * when the next is due is not doubled (the job id is the schedule's).
   */
  repeat<T>(name: string, schedule: { id: string; everyMs: number; data: T }): Promise<void>;
  /** Starts the workers. Producers may enqueue before or without it (e.g. a CLI). */
  start(): Promise<void>;
  counts(name: string): Promise<QueueCounts>;
  /**
   * Removes every job not yet running (waiting, delayed, failed) whose data matches, in every
   * queue; returns how many. For erasure: a user's queued work goes with the account.
   */
  removeWhere(match: (data: unknown) => boolean): Promise<number>;
  /** Resolves when nothing is waiting, delayed or running in the named queue (tests, CLIs). */
  drain(name: string, timeoutMs?: number): Promise<void>;
  /** Stops taking jobs and waits for running ones. */
  close(): Promise<void>;
}

export const DEFAULT_ATTEMPTS = 5;
export const DEFAULT_BACKOFF_MS = 1_000;

/** Exponential backoff with full jitter between half and all of the step. */
export function backoffDelay(attempt: number, baseMs: number): number {
  const step = baseMs * 2 ** Math.max(0, attempt - 1);
  return Math.round(step / 2 + Math.random() * (step / 2));
}

export type EnqueueOutcome = "queued" | "failed" | "pending";

/**
 * Enqueues without letting a slow or absent Redis hold up the request that caused the job: waits
 * at most `waitMs` for the queue to confirm ("pending" after that; the send goes on). A failure is
 * logged here; each job kind's sweep or backfill finds what was never queued.
 */
export async function enqueueWithin<T>(
  s: { jobs: JobQueue; logger: Logger },
  name: string,
  data: T,
  opts: JobOptions,
  waitMs: number,
): Promise<EnqueueOutcome> {
  const sent = s.jobs.enqueue(name, data, opts).then(
    (): EnqueueOutcome => "queued",
    (err: unknown): EnqueueOutcome => {
      s.logger.warn({ queue: name, jobId: opts.jobId, err: String(err) }, "could not queue a job");
      return "failed";
    },
  );
  if (waitMs <= 0) return "pending";
  let timer: ReturnType<typeof setTimeout> | undefined;
  const waited = new Promise<EnqueueOutcome>((resolve) => {
    timer = setTimeout(() => resolve("pending"), waitMs);
  });
  try {
    return await Promise.race([sent, waited]);
  } finally {
    clearTimeout(timer);
  }
}
