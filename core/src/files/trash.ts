import { schema } from "@tcc/db";
import { and, asc, gt, lte } from "drizzle-orm";
import type { Call, SystemCtx } from "../context";
import { AppError } from "../errors";
import { purgeFile } from "./files";

const f = schema.files;
const BATCH = 200;
const DAY_MS = 24 * 3600 * 1000;

export interface TrashSweep {
  purged: number;
  /** Purges that failed (logged). */
  failed: number;
}

/**
 * Purges every file soft-deleted more than FILE_TRASH_RETENTION_DAYS ago, through purgeFile (row,
 * bytes, derivatives; the quota counts rows, so the room is free at once). Safe to run in several
 * processes at once: each purge's conditional delete is the claim, so a file is purged once and
 * the other sweep finds it gone (a 404, skipped), and a file restored meanwhile is not touched.
 */
export async function sweepTrash({ ctx }: Call<undefined, SystemCtx>): Promise<TrashSweep> {
  const { s } = ctx;
  const cutoff = new Date(s.clock().getTime() - s.env.FILE_TRASH_RETENTION_DAYS * DAY_MS);
  const result: TrashSweep = { purged: 0, failed: 0 };
  let after: string | undefined;
  for (;;) {
    const rows = await s.db.primary
      .select({ id: f.id, userId: f.userId })
      .from(f)
      // By id, not deletion time: a failed purge's row stays, and JS dates would round the time under it.
      .where(and(lte(f.deletedAt, cutoff), after ? gt(f.id, after) : undefined))
      .orderBy(asc(f.id))
      .limit(BATCH);
    for (const row of rows) {
      try {
        await purgeFile({ ctx: { s, userId: row.userId }, input: { id: row.id, trashedBefore: cutoff } });
        result.purged++;
      } catch (err) {
        if (err instanceof AppError && err.code === "NOT_FOUND") continue; // purged by another sweep, or restored
        result.failed++;
        // Before its row went: it stays in the trash for the next sweep; after: its bytes are the orphan sweep's.
        s.logger.warn({ fileId: row.id, err: String(err) }, "trash sweep could not purge a file");
      }
    }
    if (rows.length < BATCH) return result;
    after = rows[rows.length - 1]?.id;
  }
}
