import type { Services } from "./context";
import { requeuePendingImages } from "./files/images/sweep";
import { scheduleStorageSweeps } from "./files/sweeps";
import { startEmbeddingSweep } from "./search/embedding-sweep";

/**
 * Start-up sweeps, run in the background once the server listens (never before: they page
 * through tables). Embeddings in any setup (a failed job or a model change leaves entries
 * behind); images only with the in-process queue, which forgets jobs on exit (the full stack
 * keeps them in Redis and has `npm run images:backfill`). The storage sweeps (files/sweeps.ts)
 * are scheduled to repeat: in Redis, one schedule shared by every core process; in memory, a timer.
 */
export async function runStartupSweeps(s: Services): Promise<void> {
  if (s.env.JOB_WORKERS !== "on") return;
  const images =
    s.jobs.kind === "memory"
      ? requeuePendingImages({ ctx: { s } }).then(
          (n) => {
            if (n > 0) s.logger.info({ files: n }, "queued image derivatives missing since the last run");
          },
          (err: unknown) => s.logger.warn({ err: String(err) }, "image sweep failed; pending images stay unqueued until the next start"),
        )
      : undefined;
  // Periodic from here on (the first runs soon): trash past its retention, expired reservations, orphan objects.
  const periodic = scheduleStorageSweeps({ ctx: { s } }).catch((err: unknown) =>
    s.logger.warn({ err: String(err) }, "could not schedule the storage sweeps; they run once another process schedules them"),
  );
  await Promise.all([startEmbeddingSweep({ ctx: { s } }), images, periodic]);
}
