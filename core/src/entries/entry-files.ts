import { schema } from "@tcc/db";
import { and, eq, inArray, isNull, notInArray } from "drizzle-orm";
import type { Call } from "../context";
import { isForeignKeyViolation } from "../db/pg-errors";
import { type InTransaction, primaryDb, withTransaction } from "../db/transaction";
import { wrote } from "../db/wrote";
import { notFound } from "../errors";

const e = schema.entries;
const f = schema.files;
const ef = schema.entryFiles;

const liveEntry = (userId: string, id: string) => and(eq(e.userId, userId), eq(e.id, id), isNull(e.deletedAt));

/** Throws 404 for the first id that is not one of the user's live files; returns the ids deduplicated. */
export async function assertFiles({ ctx, input }: Call<{ fileIds: string[] }>): Promise<string[]> {
  const unique = [...new Set(input.fileIds)];
  if (unique.length === 0) return unique;
  const rows = await primaryDb(ctx)
    .select({ id: f.id })
    .from(f)
    .where(and(eq(f.userId, ctx.userId), inArray(f.id, unique), isNull(f.deletedAt)));
  if (rows.length < unique.length) {
    const found = new Set(rows.map((r) => r.id));
    throw notFound(`File ${unique.find((id) => !found.has(id))}`);
  }
  return unique;
}

/** Makes an existing entry's attachments exactly `fileIds` (all checked to be the user's live files). */
export async function setEntryFiles({ ctx, input }: Call<{ entryId: string; fileIds: string[] }, InTransaction>): Promise<void> {
  const { userId } = ctx;
  const { entryId } = input;
  const tx = ctx.tx.db;
  const ids = await assertFiles({ ctx, input });
  const mine = and(eq(ef.userId, userId), eq(ef.entryId, entryId));
  await tx.delete(ef).where(ids.length ? and(mine, notInArray(ef.fileId, ids)) : mine);
  if (ids.length === 0) return;
  try {
    await tx
      .insert(ef)
      .values(ids.map((fileId) => ({ userId, entryId, fileId })))
      .onConflictDoNothing();
  } catch (err) {
    // A file purged since the check: the caller's transaction rolls back.
    if (isForeignKeyViolation(err)) throw notFound("File");
    throw err;
  }
}

/**
 * Attaches one of the user's live files to one of their live entries; attaching again is a no-op.
 * The entry's updatedAt moves only when the set of files changes, so sync clients see the edit.
 */
export async function attachFile({ ctx, input }: Call<{ entryId: string; fileId: string }>): Promise<void> {
  const { userId } = ctx;
  const { entryId, fileId } = input;
  try {
    await withTransaction(ctx, async (ctx) => {
      const tx = ctx.tx.db;
      const [entry] = await tx.select({ id: e.id }).from(e).where(liveEntry(userId, entryId)).for("update");
      if (!entry) throw notFound("Entry");
      await assertFiles({ ctx, input: { fileIds: [fileId] } });
      const added = await tx.insert(ef).values({ userId, entryId, fileId }).onConflictDoNothing().returning({ fileId: ef.fileId });
      if (added.length) {
        await tx.update(e).set({ updatedAt: ctx.s.clock() }).where(eq(e.id, entryId));
        await wrote(ctx);
      }
    });
  } catch (err) {
    // The file was purged between the check and the link (the entry row is locked).
    if (isForeignKeyViolation(err)) throw notFound("File");
    throw err;
  }
}

/** Detaches a file from one of the user's live entries; 404 when it was not attached. */
export async function detachFile({ ctx, input }: Call<{ entryId: string; fileId: string }>): Promise<void> {
  const { userId } = ctx;
  const { entryId, fileId } = input;
  const removed = await withTransaction(ctx, async (ctx) => {
    const tx = ctx.tx.db;
    const [entry] = await tx.select({ id: e.id }).from(e).where(liveEntry(userId, entryId)).for("update");
    if (!entry) throw notFound("Entry");
    const gone = await tx
      .delete(ef)
      .where(and(eq(ef.userId, userId), eq(ef.entryId, entryId), eq(ef.fileId, fileId)))
      .returning({ fileId: ef.fileId });
    if (gone.length) {
      await tx.update(e).set({ updatedAt: ctx.s.clock() }).where(eq(e.id, entryId));
      await wrote(ctx);
    }
    return gone.length > 0;
  });
  if (!removed) throw notFound("Attachment");
}
