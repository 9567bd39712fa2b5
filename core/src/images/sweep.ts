import { schema } from "@tcc/db";
import { and, inArray, isNull, sql } from "drizzle-orm";
import { INLINE_SAFE } from "../lib/sniff";
import type { Services } from "../services";
import { enqueueDerivatives } from "./derivatives";

const f = schema.files;
const BATCH = 1000;

/**
 * The in-process queue forgets its jobs on exit: at start-up, images that have neither
 * derivatives nor a recorded error are queued again (jobId = file id, so nothing doubles).
 * BullMQ keeps its jobs in Redis, so the full stack does not need this.
 */
export async function requeuePendingImages(s: Services): Promise<number> {
  const rows = await s.db.primary
    .select({ id: f.id })
    .from(f)
    .where(
      and(
        isNull(f.deletedAt),
        inArray(f.mime, [...INLINE_SAFE]),
        sql`not (${f.metadata} ? 'derivatives') and not (${f.metadata} ? 'imageError')`,
      ),
    )
    .limit(BATCH);
  for (const { id } of rows) await enqueueDerivatives(s, id);
  return rows.length;
}
