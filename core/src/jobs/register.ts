import { makeDerivatives } from "../images/derivative-job";
import { IMAGES_QUEUE, type ImageJob } from "../images/derivatives";
import type { Services } from "../services";

/**
 * Every background job kind core runs. Each kind registers its handler here so that every
 * process (API pod, embedded server, CLI) sees the same set.
 */
export function registerJobs(s: Services): void {
  s.jobs.handle<ImageJob>(IMAGES_QUEUE, (job) => makeDerivatives(s, job), {
    concurrency: s.env.IMAGE_JOB_CONCURRENCY,
    attempts: 3,
  });
}
