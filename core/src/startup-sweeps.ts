import type { Services } from "./context";
import { requeuePendingImages } from "./files/images/sweep";
import { sweepExpiredReservations } from "./files/quota";
import { startEmbeddingSweep } from "./search/embedding-sweep";

/**
 * Start-up sweeps, run in the background once the server listens (never before: they page
 * through tables). Embeddings in any setup (a failed job or a model change leaves entries
 * behind); images only with the in-process queue, which forgets jobs on exit (the full stack
 * keeps them in Redis and has `npm run images:backfill`). Upload reservations left by a process
 * that died mid-upload no longer count against the quota; the sweep only deletes their rows.
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
  const reservations = sweepExpiredReservations({ ctx: { s }, input: undefined }).then(
    (n) => {
      if (n > 0) s.logger.info({ reservations: n }, "dropped upload reservations of processes that died mid-upload");
    },
    (err: unknown) => s.logger.warn({ err: String(err) }, "reservation sweep failed; the rows stay until the next start"),
  );
  await Promise.all([startEmbeddingSweep({ ctx: { s } }), images, reservations]);
}
