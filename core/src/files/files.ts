import { schema } from "@tcc/db";
import { and, desc, eq, inArray, isNull, lte } from "drizzle-orm";
import type { Call, Ctx, SystemCtx } from "../context";
import { afterTimestamp, timestampCursorValue } from "../db/keyset";
import { withTransaction } from "../db/transaction";
import { wrote } from "../db/wrote";
import { AppError, notFound } from "../errors";
import { bumpGalleriesShowing } from "../galleries/galleries";
import { encodeCursor } from "../lib/cursor";
import { declaredMismatch, normalizeType, SNIFF_BYTES, sniff } from "../lib/sniff";
import { type ByteRange, ObjectTooLargeError, type PutResult, UploadInterruptedError } from "../storage";
import { derivativeKeys, enqueueDerivatives, isDerivable, type Representation } from "./images/derivatives";
import { quotaExceeded, type Reservation, releaseQuota, reserveQuota } from "./quota";
import { deleteUnreferencedObjects } from "./unreferenced";

const f = schema.files;
export type FileRow = typeof schema.files.$inferSelect;

export interface FileView {
  id: string;
  name: string | null;
  mime: string;
  size: number;
  sha256: string;
  metadata: Record<string, unknown>;
  createdAt: string;
}

export interface UploadInput {
  body: ReadableStream<Uint8Array>;
  /** The client's Content-Type for the file, if any. */
  declaredType: string | null;
  /** Already sanitised. */
  name: string | null;
  /** Keep EXIF GPS in the served image derivatives (default: stripped). */
  keepLocation?: boolean;
  /** The request's Content-Length, when it had one: the quota reserved while streaming. */
  declaredLength?: number | null;
  signal?: AbortSignal;
}

export const toView = (r: FileRow): FileView => ({
  id: r.id,
  name: r.originalName ?? null,
  mime: r.mime,
  size: r.size,
  sha256: r.sha256,
  metadata: r.metadata,
  createdAt: new Date(r.createdAt).toISOString(),
});

/** Content addressing: one object per user and content. */
export const storageKey = (userId: string, sha256: string) => `users/${userId}/${sha256}`;

/**
 * Streams an upload into storage: sniffed from its first bytes, refused early if a declared image
 * type lies, metered against the per-file limit and the quota reserved for it, hashed on the way.
 * The bytes land under a staging key and move to `users/<id>/<sha256>` only once the hash is known;
 * every failure removes what was written, and the row is only inserted after the bytes are in place.
 * The reservation is released only after the row exists, so the quota never undercounts.
 */
export async function upload({ ctx, input }: Call<UploadInput>): Promise<{ file: FileView; created: boolean }> {
  const reservation = await reserveQuota({ ctx, input: { declared: input.declaredLength ?? null } });
  try {
    return await store(ctx, input, reservation);
  } finally {
    await releaseQuota({ ctx, input: { id: reservation.id } });
  }
}

async function store(ctx: Ctx, input: UploadInput, reservation: Reservation): Promise<{ file: FileView; created: boolean }> {
  const { env, storage } = ctx.s;
  const maxBytes = reservation.bytes;

  const { head, body } = await peek(input.body, SNIFF_BYTES);
  // Refused rather than stored: an empty upload is nearly always a client that forgot the body.
  if (head.byteLength === 0) throw new AppError("UNPROCESSABLE", "The file is empty");
  const mime = sniff(head);
  const declared = normalizeType(input.declaredType);
  if (declaredMismatch(declared, mime)) {
    await body.cancel().catch(() => {});
    throw new AppError("UNPROCESSABLE", `The file was declared as ${declared} but its content is ${mime}`, { declared, detected: mime });
  }

  const staging = `users/${ctx.userId}/uploads/${Bun.randomUUIDv7()}`;
  let put: PutResult;
  try {
    put = await storage.put(staging, body, { maxBytes, signal: input.signal, contentType: mime });
  } catch (err) {
    if (err instanceof ObjectTooLargeError && maxBytes < env.MAX_FILE_BYTES) {
      // Over the room reserved: over the quota, unless a declared length was simply too small.
      if (input.declaredLength == null || maxBytes < input.declaredLength)
        throw quotaExceeded(env.USER_QUOTA_BYTES, reservation.usedBefore);
    }
    throw err;
  }
  try {
    return await record(ctx, staging, put, { mime, declared, name: input.name, keepLocation: input.keepLocation === true });
  } finally {
    await storage.delete(staging).catch(() => {}); // already moved on success: a no-op then
  }
}

async function record(
  ctx: Ctx,
  staging: string,
  put: PutResult,
  info: { mime: string; declared: string | null; name: string | null; keepLocation: boolean },
): Promise<{ file: FileView; created: boolean }> {
  const { db, storage } = ctx.s;
  const [existing] = await db.primary
    .select()
    .from(f)
    .where(and(eq(f.userId, ctx.userId), eq(f.sha256, put.sha256)));
  if (existing && !existing.deletedAt) return { file: toView(existing), created: false };

  const key = storageKey(ctx.userId, put.sha256);
  await storage.move(staging, key); // same bytes as any object already there, so replacing it is harmless
  const values = {
    storageKey: key,
    sha256: put.sha256,
    mime: info.mime,
    size: put.size,
    originalName: info.name,
    metadata: { size: put.size, mime: info.mime, declaredType: info.declared, keepLocation: info.keepLocation },
  };
  let row: FileRow | undefined;
  try {
    if (existing) {
      // Uploading a soft-deleted file again brings it back, as new.
      [row] = await db.primary
        .update(f)
        .set({ ...values, deletedAt: null, createdAt: ctx.s.clock() })
        .where(and(eq(f.userId, ctx.userId), eq(f.id, existing.id)))
        .returning();
    } else {
      [row] = await db.primary
        .insert(f)
        .values({ userId: ctx.userId, ...values })
        .onConflictDoNothing()
        .returning();
    }
  } catch (err) {
    if (!(await referenced(ctx, put.sha256))) await storage.delete(key).catch(() => {});
    throw err;
  }
  if (!row) {
    // A concurrent upload of the same bytes inserted first; its row owns the (identical) object.
    const [winner] = await db.primary
      .select()
      .from(f)
      .where(and(eq(f.userId, ctx.userId), eq(f.sha256, put.sha256)));
    if (!winner) throw new AppError("CONFLICT", "The file changed during upload; try again");
    return { file: toView(winner), created: false };
  }
  await wrote(ctx);
  // A restored file starts over: its old derivatives may have been made with another keepLocation.
  if (existing) await deleteKeys({ ctx, input: { keys: derivativeKeys(existing.metadata) } });
  if (isDerivable(row.mime)) await enqueueDerivatives({ ctx, input: { job: { userId: ctx.userId, fileId: row.id } } });
  return { file: toView(row), created: true };
}

/** Reads the first `n` bytes (or fewer at the end) and returns them with a stream of the whole body. */
async function peek(source: ReadableStream<Uint8Array>, n: number): Promise<{ head: Uint8Array; body: ReadableStream<Uint8Array> }> {
  const reader = source.getReader();
  const chunks: Uint8Array[] = [];
  let have = 0;
  let done = false;
  try {
    while (have < n) {
      const next = await reader.read();
      if (next.done) {
        done = true;
        break;
      }
      chunks.push(next.value);
      have += next.value.byteLength;
    }
  } catch (err) {
    throw new UploadInterruptedError(err);
  }
  const head = Buffer.concat(chunks).subarray(0, n);
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const buffered = chunks.shift();
        if (buffered) return controller.enqueue(buffered);
        if (done) return controller.close();
        const next = await reader.read();
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      },
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: 0 },
  );
  return { head, body };
}

/** Whether a row still points at this user's object for these bytes (keys are per user and hash, see storageKey). */
async function referenced(ctx: Ctx, sha256: string): Promise<boolean> {
  const [row] = await ctx.s.db.primary
    .select({ id: f.id })
    .from(f)
    .where(and(eq(f.userId, ctx.userId), eq(f.sha256, sha256)))
    .limit(1);
  return row !== undefined;
}

export async function listFiles({
  ctx,
  input: q,
}: Call<{ limit: number; cursor?: string; entryId?: string }>): Promise<{ items: FileView[]; nextCursor: string | null }> {
  const load = async () => {
    const db = ctx.s.db.read(ctx.userId);
    const ef = schema.entryFiles;
    const attached = q.entryId
      ? inArray(
          f.id,
          db
            .select({ id: ef.fileId })
            .from(ef)
            .where(and(eq(ef.userId, ctx.userId), eq(ef.entryId, q.entryId))),
        )
      : undefined;
    const rows = await db
      .select({ row: f, cursorValue: timestampCursorValue(f.createdAt) })
      .from(f)
      .where(and(eq(f.userId, ctx.userId), isNull(f.deletedAt), attached, afterTimestamp(q.cursor, f.createdAt, f.id, "desc")))
      .orderBy(desc(f.createdAt), desc(f.id))
      .limit(q.limit + 1);
    const items = rows.slice(0, q.limit);
    const last = rows.length > q.limit ? items[items.length - 1] : undefined;
    return { items: items.map((r) => toView(r.row)), nextCursor: last ? encodeCursor({ v: last.cursorValue, id: last.row.id }) : null };
  };
  if (q.cursor) return load();
  return ctx.s.cache.getOrLoad(ctx, "files", JSON.stringify(q), load);
}

/** The caller's live file row; another user's file is missing, like a missing one. */
export async function findFile({ ctx, input: { id } }: Call<{ id: string }>): Promise<FileRow> {
  const [row] = await ctx.s.db
    .read(ctx.userId)
    .select()
    .from(f)
    .where(and(eq(f.userId, ctx.userId), eq(f.id, id), isNull(f.deletedAt)));
  if (!row) throw notFound("File");
  return row;
}

export async function getFile({ ctx, input }: Call<{ id: string }>): Promise<FileView> {
  return toView(await findFile({ ctx, input }));
}

/** A live file by id alone, for signed URLs: the signature, not a user, is the authority. */
export async function findSharedFile({ ctx, input: { id } }: Call<{ id: string }, SystemCtx>): Promise<FileRow> {
  const [row] = await ctx.s.db.primary
    .select()
    .from(f)
    .where(and(eq(f.id, id), isNull(f.deletedAt)));
  if (!row) throw notFound("File");
  return row;
}

/** The bytes (or a range of them) of a file or one of its derivatives; a vanished object is reported, not hidden. */
export async function openContent({ ctx: { s }, input: { rep, range } }: Call<{ rep: Representation; range?: ByteRange }, SystemCtx>) {
  const got = await s.storage.get(rep.key, range);
  if (!got) {
    s.logger.error({ key: rep.key }, "file row without an object in storage");
    throw new AppError("UNAVAILABLE", "The file's content is not available");
  }
  return got;
}

/** Deletes stored objects, best effort: an object left behind is an orphan, never a missing file. */
export const deleteKeys = ({ ctx: { s }, input: { keys } }: Call<{ keys: string[] }, SystemCtx>) =>
  Promise.all(keys.map((key) => s.storage.delete(key).catch(() => {})));

/** Soft delete hides the file (its bytes stay, and count, until purged); purge removes it for good. */
export async function deleteFile({ ctx, input: { id, purge } }: Call<{ id: string; purge: boolean }>): Promise<void> {
  if (purge) return purgeFile({ ctx, input: { id } });
  await withTransaction(ctx, async (ctx) => {
    await bumpGalleriesShowing({ ctx, input: { fileId: id } });
    const [hidden] = await ctx.tx.db
      .update(f)
      .set({ deletedAt: ctx.s.clock() })
      .where(and(eq(f.userId, ctx.userId), eq(f.id, id), isNull(f.deletedAt)))
      .returning({ id: f.id });
    if (!hidden) throw notFound("File"); // rolls the version bump back
  });
  // A soft-deleted file keeps its derivatives: uploading it again restores it.
  await wrote(ctx);
}

/**
 * Removes the row and, once nothing else refers to them, the bytes and derivatives; a
 * soft-deleted file can be purged too (that is how its bytes are finally freed). With
 * `trashedBefore` (the trash sweep) only a file soft-deleted before then goes: one restored or
 * purged meanwhile is a 404, never a live file lost. The row's delete is the one claim, so of
 * several purges of one file (two sweeps at once, a user's purge) exactly one removes the bytes.
 */
export async function purgeFile({ ctx, input: { id, trashedBefore } }: Call<{ id: string; trashedBefore?: Date }>): Promise<void> {
  const row = await withTransaction(ctx, async (ctx) => {
    // Before the delete: purging cascades the gallery items away with the row.
    await bumpGalleriesShowing({ ctx, input: { fileId: id } });
    const [purged] = await ctx.tx.db
      .delete(f)
      .where(and(eq(f.userId, ctx.userId), eq(f.id, id), trashedBefore ? lte(f.deletedAt, trashedBefore) : undefined))
      .returning({ storageKey: f.storageKey, sha256: f.sha256, metadata: f.metadata });
    if (!purged) throw notFound("File"); // rolls the version bump back
    return purged;
  });
  await wrote(ctx);
  // Row first, bytes second: a crash in between leaves an orphan object, never a row without bytes.
  // The bytes wait for the orphan sweep too while an upload of the user is in flight (it may be re-uploading them).
  // Derivative keys are the file's own (never shared), so they go with it; a job still running finds no row and cleans up after itself.
  await deleteKeys({ ctx, input: { keys: derivativeKeys(row.metadata) } });
  await deleteUnreferencedObjects({ ctx, input: { originals: [{ key: row.storageKey, sha256: row.sha256 }] } });
}
