import type { Call, SystemCtx } from "../context";
import { dropExpiredExports } from "../privacy/export";
import { sweepOrphans } from "./orphans";
import { sweepExpiredReservations } from "./quota";
import { sweepTrash } from "./trash";

/**
 * The queue of the periodic storage sweeps, one schedule per sweep: trash past its retention,
 * expired upload reservations, export archives past theirs, and objects no row names.
 */
export const STORAGE_SWEEPS_QUEUE = "storage-sweeps";
export type StorageSweep = "trash" | "reservations" | "exports" | "orphans";
export interface StorageSweepJob {
  sweep: StorageSweep;
}

/** Each sweep's interval in ms (0: not scheduled). */
export function sweepIntervals(env: SystemCtx["s"]["env"]): Record<StorageSweep, number> {
  return {
    trash: env.STORAGE_SWEEP_INTERVAL_S * 1000,
    reservations: env.STORAGE_SWEEP_INTERVAL_S * 1000,
    exports: env.STORAGE_SWEEP_INTERVAL_S * 1000,
    orphans: env.ORPHAN_SWEEP_INTERVAL_S * 1000,
  };
}

/**
 * Runs one sweep and logs what it did. A failure is thrown: the queue logs it and counts the job
 * as failed (the jobs metric shows it), and the next scheduled run tries again.
 */
export async function runStorageSweep({ ctx, input: { sweep } }: Call<StorageSweepJob, SystemCtx>): Promise<void> {
  const { logger } = ctx.s;
  if (sweep === "trash") {
    const r = await sweepTrash({ ctx });
    if (r.purged || r.failed) logger.info(r, "trash sweep: purged files deleted longer ago than FILE_TRASH_RETENTION_DAYS");
  } else if (sweep === "reservations") {
    const n = await sweepExpiredReservations({ ctx });
    if (n > 0) logger.info({ reservations: n }, "dropped upload reservations of processes that died mid-upload");
  } else if (sweep === "exports") {
    const n = await dropExpiredExports({ ctx });
    if (n > 0) logger.info({ exports: n }, "removed export archives past their retention");
  } else {
    const r = await sweepOrphans({ ctx });
    if (r.removed) logger.info(r, "orphan sweep: removed stored objects no row refers to");
  }
}

/** (Re)sets every sweep's schedule: the same ids from every process, so the schedules are shared, not multiplied. */
export async function scheduleStorageSweeps({ ctx: { s } }: Call<undefined, SystemCtx>): Promise<void> {
  for (const [sweep, everyMs] of Object.entries(sweepIntervals(s.env)) as [StorageSweep, number][]) {
    await s.jobs.repeat<StorageSweepJob>(STORAGE_SWEEPS_QUEUE, { id: `storage-sweep-${sweep}`, everyMs, data: { sweep } });
  }
}
