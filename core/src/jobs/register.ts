import { makeDerivatives } from "../images/derivative-job";
import { IMAGES_QUEUE } from "../images/derivatives";
import type { Services } from "../services";

/**
 * Every background job kind core runs. Each kind registers its handler here so that every
 * process (API pod, embedded server, CLI) sees the same set.
 */
export function registerJobs(s: Services): void {
  s.jobs.handle<{ fileId: string }>(IMAGES_QUEUE, (data) => makeDerivatives(s, data.fileId), {
    concurrency: s.env.IMAGE_JOB_CONCURRENCY,
    attempts: 3,
  });
}
