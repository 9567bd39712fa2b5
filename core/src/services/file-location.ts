import { schema } from "@tcc/db";
import { and, eq, isNull } from "drizzle-orm";
import { notFound } from "../errors";
import { derivativeKeys, enqueueDerivatives, isDerivable } from "../images/derivatives";
import type { Ctx } from "../services";
import { deleteKeys, type FileRow, type FileView, toView } from "./files";
import { bumpGalleriesShowing } from "./galleries";
import { galleryTx } from "./gallery-slugs";
import { wrote } from "./wrote";

const f = schema.files;

/**
 * Turns keeping the EXIF location in derivatives on or off. Turning it off withdraws the current
 * derivatives at once (they carry the location); either way new ones are made with the new setting.
 */
export async function setKeepLocation(ctx: Ctx, id: string, keepLocation: boolean): Promise<FileView> {
  const { row, withdrawn } = await galleryTx(ctx.s, async (tx) => {
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
    if (!keepLocation) await bumpGalleriesShowing(tx, ctx.userId, id);
    return { row: updated as FileRow, withdrawn: keepLocation ? [] : derivativeKeys(locked.metadata) };
  });
  if (withdrawn === null) return toView(row);
  await wrote(ctx);
  await deleteKeys(ctx.s, withdrawn);
  // Its own job id: a job for this file already running would otherwise swallow this one (BullMQ dedupe).
  if (isDerivable(row.mime)) await enqueueDerivatives(ctx.s, { userId: ctx.userId, fileId: id }, `${id}-${Bun.randomUUIDv7()}`);
  return toView(row);
}
