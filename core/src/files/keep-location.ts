import { schema } from "@tcc/db";
import { and, eq, isNull } from "drizzle-orm";
import type { Call } from "../context";
import { withTransaction } from "../db/transaction";
import { wrote } from "../db/wrote";
import { notFound } from "../errors";
import { bumpGalleriesShowing } from "../galleries/galleries";
import { deleteKeys, type FileRow, type FileView, toView } from "./files";
import { derivativeKeys, enqueueDerivatives, isDerivable } from "./images/derivatives";

const f = schema.files;

/**
 * Turns keeping the EXIF location in derivatives on or off. Turning it off withdraws the current
 * derivatives at once (they carry the location); either way new ones are made with the new setting.
 */
export async function setKeepLocation({
  ctx,
  input: { id, keepLocation },
}: Call<{ id: string; keepLocation: boolean }>): Promise<FileView> {
  const { row, withdrawn } = await withTransaction(ctx, async (ctx) => {
    const tx = ctx.tx.db;
    const [locked] = await tx
      .select()
      .from(f)
      .where(and(eq(f.userId, ctx.userId), eq(f.id, id), isNull(f.deletedAt)))
      // Not "update": a gallery item insert holding the gallery row takes a key-share lock on
      // this file (its foreign key), which "update" blocks: a deadlock (gallery-locks.test.ts).
      .for("no key update");
    if (!locked) throw notFound("File");
    if ((locked.metadata.keepLocation === true) === keepLocation) return { row: locked, withdrawn: null };
    const { derivatives: _, ...rest } = locked.metadata;
    const metadata = keepLocation ? { ...locked.metadata, keepLocation } : { ...rest, keepLocation };
    const [updated] = await tx
      .update(f)
      .set({ metadata })
      .where(and(eq(f.userId, ctx.userId), eq(f.id, id)))
      .returning();
    if (!keepLocation) await bumpGalleriesShowing({ ctx, input: { fileId: id } });
    return { row: updated as FileRow, withdrawn: keepLocation ? [] : derivativeKeys(locked.metadata) };
  });
  if (withdrawn === null) return toView(row);
  await wrote(ctx);
  await deleteKeys({ ctx, input: { keys: withdrawn } });
  // Its own job id: a job for this file already running would otherwise swallow this one (BullMQ dedupe).
  if (isDerivable(row.mime)) {
    await enqueueDerivatives({ ctx, input: { job: { userId: ctx.userId, fileId: id }, jobId: `${id}-${Bun.randomUUIDv7()}` } });
  }
  return toView(row);
}
