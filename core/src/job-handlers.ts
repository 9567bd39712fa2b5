import type { Services } from "./context";
import { makeDerivatives } from "./files/images/derivative-job";
import { IMAGES_QUEUE, type ImageJob } from "./files/images/derivatives";
import { runStorageSweep, STORAGE_SWEEPS_QUEUE, type StorageSweepJob } from "./files/sweeps";
import { yieldToRequests } from "./lib/request-rate";
import { EXPORT_ATTEMPTS, EXPORTS_QUEUE, type ExportJob, runExport } from "./privacy/export";
import { coalesceEmbeddingJobs, EMBEDDINGS_QUEUE, type EmbeddingBatch, type EmbeddingJob, runEmbeddingJob } from "./search/embeddings";

/**
 * Every background job kind core runs. Each kind registers its handler here so that every
 * process (API pod, embedded server, CLI) sees the same set.
 */
export function registerJobs(s: Services): void {
  s.jobs.handle<ImageJob>(IMAGES_QUEUE, (job) => makeDerivatives({ ctx: { s }, input: job }), {
    concurrency: s.env.IMAGE_JOB_CONCURRENCY,
    attempts: 3,
  });
  // Retries with backoff cover a gateway that is down or overloaded for about a minute.
  // Vectors nobody waits on: while any process sharing the queues is busy they wait their turn (yieldToRequests).
  const embedAfterYield = async (job: EmbeddingJob | EmbeddingBatch) => {
    await yieldToRequests(s.requestLoad, { maxWaitMs: s.env.JOBS_YIELD_MAX_MS });
    await runEmbeddingJob({ ctx: { s }, input: job });
  };
  s.jobs.handle<EmbeddingJob | EmbeddingBatch>(EMBEDDINGS_QUEUE, embedAfterYield, {
    concurrency: s.env.EMBEDDING_CONCURRENCY,
    attempts: 6,
    backoffMs: 2_000,
    coalesce: coalesceEmbeddingJobs,
  });
  // One archive at a time per process: it reads every row and byte of a user.
  s.jobs.handle<ExportJob>(EXPORTS_QUEUE, (job, info) => runExport({ ctx: { s }, input: job, info }), {
    concurrency: 1,
    attempts: EXPORT_ATTEMPTS,
    backoffMs: 5_000,
  });
  // Trash, expired reservations, orphan objects: one at a time per process; a failed run waits for the next.
  s.jobs.handle<StorageSweepJob>(STORAGE_SWEEPS_QUEUE, (job) => runStorageSweep({ ctx: { s }, input: job }), {
    concurrency: 1,
    attempts: 1,
  });
}
