import type { Services } from "../services";

/**
 * Every background job kind core runs. Each kind registers its handler here so that every
 * process (API pod, embedded server, CLI) sees the same set.
 */
export function registerJobs(_s: Services): void {}
