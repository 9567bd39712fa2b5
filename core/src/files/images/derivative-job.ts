import { schema } from "@tcc/db";
import { and, eq, isNull } from "drizzle-orm";
import type { Sharp, SharpOptions } from "sharp";
import type { Call, Services, SystemCtx } from "../../context";
import { withTransaction } from "../../db/transaction";
import { wrote } from "../../db/wrote";
import { bumpGalleriesShowing } from "../../galleries/galleries";
import {
  DERIVATIVE_MIME,
  DERIVATIVE_SIZES,
  type Derivative,
  type DerivativeSize,
  derivativeKeys,
  type ImageJob,
  type ImageMetadata,
  isDerivable,
  newDerivativeKey,
} from "./derivatives";
import { type ImageFacts, imageFacts } from "./exif";

const f = schema.files;

type SharpFactory = (input: Uint8Array, options?: SharpOptions) => Sharp;
let loaded: Promise<SharpFactory> | undefined;
/**
 * sharp (libvips) adds ~30 MB of RSS when loaded, so it is loaded by the first image job, not at
 * start-up: an API pod that runs no jobs (JOB_WORKERS=off) never pays for it.
 */
function loadSharp(): Promise<SharpFactory> {
  loaded ??= import("sharp").then(({ default: sharp }) => {
    // libvips' operation cache keeps decoded images between jobs; a job runs rarely, RSS matters more.
    sharp.cache(false);
    return sharp;
  });
  return loaded;
}

type Rendered = { size: DerivativeSize; derivative: Derivative };

/**
 * The `images` job: reads the original, records what its header and EXIF say (width, height,
 * orientation, taken-at, whether it has a location), and stores 320 and 1280 px WebP versions,
 * turned upright, never upscaled, and without EXIF unless the owner chose `keepLocation`.
 *
 * Idempotent and safe against races: each run writes fresh keys, then records them only if the file
 * is still live and its keepLocation unchanged (row locked); otherwise it removes what it wrote.
 */
export function makeDerivatives({ ctx, input: job }: Call<ImageJob, SystemCtx>): Promise<void> {
  return derive(ctx.s, job, 1);
}

/** One rendering; `round` counts the renderings a keepLocation change has started over. */
async function derive(s: Services, job: ImageJob, round: number): Promise<void> {
  const { userId, fileId } = job;
  const mine = and(eq(f.userId, userId), eq(f.id, fileId), isNull(f.deletedAt));
  const [row] = await s.db.primary.select().from(f).where(mine);
  if (!row || !isDerivable(row.mime)) return; // deleted or purged meanwhile: nothing to make
  const keepLocation = (row.metadata as ImageMetadata).keepLocation === true;
  const got = await s.storage.get(row.storageKey);
  if (!got) {
    s.logger.error({ fileId }, "image job: file row without an object in storage");
    return;
  }
  // Bounded by MAX_FILE_BYTES; sharp needs the whole encoded image to decode it anyway.
  const input = new Uint8Array(await new Response(got.body).arrayBuffer());

  let facts: ImageFacts | undefined;
  let error: string | undefined;
  const rendered: Rendered[] = [];
  const sharp = await loadSharp();
  try {
    facts = await imageFacts(await sharp(input).metadata());
    if (facts.width * facts.height > s.env.IMAGE_MAX_PIXELS) error = `larger than IMAGE_MAX_PIXELS (${s.env.IMAGE_MAX_PIXELS})`;
  } catch {
    error = "not a readable image";
  }
  const encoded: { size: DerivativeSize; data: Buffer; width: number; height: number }[] = [];
  if (!error) {
    try {
      // One after the other: two decodes at once would double the job's peak memory.
      for (const size of DERIVATIVE_SIZES) encoded.push(await encode(sharp, s, input, size, keepLocation));
    } catch {
      encoded.length = 0; // none is stored: an image is recorded with all its derivatives or none
      error = "not a readable image"; // a truncated or corrupt image: permanent, no retry
    }
  }
  try {
    for (const e of encoded) rendered.push({ size: e.size, derivative: await store(s, row, e) });
  } catch (err) {
    await removeKeys(s, rendered);
    throw err; // storage trouble: the queue retries
  }

  const outcome = await withTransaction({ s, userId }, async (ctx) => {
    const tx = ctx.tx.db;
    // "no key update": the gallery item insert that may hold the gallery row takes a key-share
    // lock on this file (its foreign key); "update" would block it and deadlock (see gallery-locks.test.ts).
    const [locked] = await tx.select({ metadata: f.metadata }).from(f).where(mine).for("no key update");
    if (!locked) return { recorded: false, retry: false, replaced: [] as string[] };
    const current = locked.metadata as ImageMetadata;
    if ((current.keepLocation === true) !== keepLocation) return { recorded: false, retry: true, replaced: [] };
    const { imageError: _, derivatives: __, ...rest } = current;
    const next: ImageMetadata = { ...rest, ...(facts ?? {}) };
    if (error) next.imageError = error;
    else next.derivatives = Object.fromEntries(rendered.map((r) => [`${r.size}`, r.derivative]));
    await tx.update(f).set({ metadata: next }).where(mine);
    await bumpGalleriesShowing({ ctx, input: { fileId } });
    return { recorded: true, retry: false, replaced: derivativeKeys(current) };
  });
  if (!outcome.recorded) {
    await removeKeys(s, rendered);
    // keepLocation changed while this ran: render again with the new setting.
    if (outcome.retry && round < 3) await derive(s, job, round + 1);
    return;
  }
  await Promise.all(outcome.replaced.map((key) => s.storage.delete(key).catch(() => {})));
  await wrote({ userId: row.userId, s });
}

async function encode(sharp: SharpFactory, s: Services, input: Uint8Array, size: DerivativeSize, keepLocation: boolean) {
  let pipeline = sharp(input, { limitInputPixels: s.env.IMAGE_MAX_PIXELS })
    .rotate() // applies the EXIF orientation, then marks the output upright
    .resize({ width: size, height: size, fit: "inside", withoutEnlargement: true })
    .webp({ quality: 80 });
  // Without keepExif sharp writes no EXIF at all: GPS, camera serial and the rest stay in the original.
  if (keepLocation) pipeline = pipeline.keepExif();
  const { data, info } = await pipeline.toBuffer({ resolveWithObject: true });
  return { size, data, width: info.width, height: info.height };
}

async function store(
  s: Services,
  row: { id: string; userId: string },
  e: { size: DerivativeSize; data: Buffer; width: number; height: number },
) {
  const key = newDerivativeKey(row.userId, row.id, e.size);
  const put = await s.storage.put(key, new Uint8Array(e.data.buffer, e.data.byteOffset, e.data.byteLength), {
    contentType: DERIVATIVE_MIME,
  });
  return { key, sha256: put.sha256, bytes: put.size, width: e.width, height: e.height };
}

async function removeKeys(s: Services, rendered: Rendered[]) {
  await Promise.all(rendered.map((r) => s.storage.delete(r.derivative.key).catch(() => {})));
}
