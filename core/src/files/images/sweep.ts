import { schema } from "@tcc/db";
import { and, asc, gt, inArray, isNull, sql } from "drizzle-orm";
import type { Call, SystemCtx } from "../../context";
import { INLINE_SAFE } from "../../lib/sniff";
import { enqueueDerivatives } from "./derivatives";

const f = schema.files;
const BATCH = 500;

/**
 * Queues the image job for every live image that has neither derivatives nor a recorded error
 * (jobId = file id, so a job already waiting is not doubled). The embedded server runs it at
 * start-up, since its in-process queue forgets jobs on exit; the full stack keeps jobs in Redis
 * and runs it on demand (`npm run images:backfill`), e.g. for files stored before derivatives
 * existed or whose job was lost with Redis.
 */
export async function requeuePendingImages({ ctx }: Call<undefined, SystemCtx>): Promise<number> {
  const { s } = ctx;
  let queued = 0;
  let after: string | undefined;
  for (;;) {
    const rows = await s.db.primary
      .select({ id: f.id, userId: f.userId })
      .from(f)
      .where(
        and(
          isNull(f.deletedAt),
          inArray(f.mime, [...INLINE_SAFE]),
          sql`not (${f.metadata} ? 'derivatives') and not (${f.metadata} ? 'imageError')`,
          after ? gt(f.id, after) : undefined,
        ),
      )
      .orderBy(asc(f.id))
      .limit(BATCH);
    for (const { id, userId } of rows) await enqueueDerivatives({ ctx, input: { job: { userId, fileId: id } } });
    queued += rows.length;
    if (rows.length < BATCH) return queued;
    after = rows[rows.length - 1]?.id;
  }
}
