import type { Call, Services, SystemCtx } from "../../context";
import { AppError } from "../../errors";
import { enqueueWithin } from "../../jobs/queue";
import { INLINE_SAFE } from "../../lib/sniff";

/** The queue that makes image derivatives; one job per file (jobId = file id). */
export const IMAGES_QUEUE = "images";

/** Longest edge in pixels: a grid thumbnail and a web-sized view. Never upscaled. */
export const DERIVATIVE_SIZES = [320, 1280] as const;
export type DerivativeSize = (typeof DERIVATIVE_SIZES)[number];
export const DERIVATIVE_MIME = "image/webp";

/** Raster types sharp reads and a browser shows; the only files that get derivatives. */
export const isDerivable = (mime: string) => INLINE_SAFE.has(mime);

export interface Derivative {
  key: string;
  sha256: string;
  bytes: number;
  width: number;
  height: number;
}

/** A file's metadata JSONB as this module reads it; other keys pass through untouched. */
export interface ImageMetadata {
  keepLocation?: boolean;
  hasLocation?: boolean;
  derivatives?: Partial<Record<`${DerivativeSize}`, Derivative>>;
  imageError?: string;
  [key: string]: unknown;
}

/** What a download route streams: the original or one derivative. */
export interface Representation {
  key: string;
  sha256: string;
  size: number;
  mime: string;
  name: string | null;
}

interface FileLike {
  id: string;
  storageKey: string;
  sha256: string;
  size: number;
  mime: string;
  originalName: string | null;
  metadata: Record<string, unknown>;
}

export const derivativesOf = (metadata: Record<string, unknown>) => (metadata as ImageMetadata).derivatives ?? {};

/** Storage keys of every derivative recorded in this metadata (to delete with the file). */
export const derivativeKeys = (metadata: Record<string, unknown>): string[] =>
  Object.values(derivativesOf(metadata)).flatMap((d) => (d?.key ? [d.key] : []));

/** A fresh key per rendering, so a late job can never overwrite what a newer one recorded. */
export const newDerivativeKey = (userId: string, fileId: string, size: DerivativeSize) =>
  `users/${userId}/derivatives/${fileId}/${Bun.randomUUIDv7()}-${size}.webp`;

function derivedName(name: string | null, size: DerivativeSize): string | null {
  if (!name) return null;
  const dot = name.lastIndexOf(".");
  return `${dot > 0 ? name.slice(0, dot) : name}-${size}.webp`;
}

/** The bytes to serve for `size` (undefined = the original); a missing derivative is a 404 that says why. */
export function representation(row: FileLike, size?: DerivativeSize): Representation {
  if (size === undefined) return { key: row.storageKey, sha256: row.sha256, size: row.size, mime: row.mime, name: row.originalName };
  const d = derivativesOf(row.metadata)[`${size}`];
  if (d) return { key: d.key, sha256: d.sha256, size: d.bytes, mime: DERIVATIVE_MIME, name: derivedName(row.originalName, size) };
  const meta = row.metadata as ImageMetadata;
  if (!isDerivable(row.mime) || meta.imageError) {
    throw new AppError("NOT_FOUND", `This file has no ${size} px version`, { reason: "DERIVATIVE_UNAVAILABLE", size });
  }
  throw new AppError("NOT_FOUND", `The ${size} px version is not ready yet; try again shortly`, { reason: "DERIVATIVE_PENDING", size });
}

/**
 * Whether the original may be shown publicly in place of a missing derivative: only when the owner
 * opted in to sharing the location, or the job found none in it (and recorded that).
 */
export const originalIsLocationFree = (metadata: Record<string, unknown>) =>
  (metadata as ImageMetadata).keepLocation === true || (metadata as ImageMetadata).hasLocation === false;

/**
 * How long an upload waits for its job to be queued. BullMQ holds commands while Redis is away,
 * and the upload must answer anyway; while Redis is known to answer, waiting for it keeps "the
 * upload answered" meaning "the job is queued" (a slow moment under load is not an outage).
 */
const enqueueWaitMs = (s: Services) => (s.kv.healthy ? 10_000 : 1_000);

/** One image job: the owner travels with the file id, so every query the job makes is by user, like all others. */
export interface ImageJob {
  userId: string;
  fileId: string;
}

/** Queues the derivatives of one file. The default jobId dedupes repeated uploads; a changed setting passes its own. */
export async function enqueueDerivatives({
  ctx: { s },
  input: { job, jobId = job.fileId },
}: Call<{ job: ImageJob; jobId?: string }, SystemCtx>): Promise<void> {
  // The file is stored either way; a job still held by a reconnecting client is sent when Redis returns,
  // and the embedded queue's start-up sweep picks up anything lost.
  if ((await enqueueWithin(s, IMAGES_QUEUE, job, { jobId }, enqueueWaitMs(s))) === "pending") {
    s.logger.warn({ fileId: job.fileId }, "image job not confirmed by the queue yet; the upload answers anyway");
  }
}
