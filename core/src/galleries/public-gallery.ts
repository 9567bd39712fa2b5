import { createHash } from "node:crypto";
import { schema } from "@tcc/db";
import { and, eq, inArray, isNull } from "drizzle-orm";
import type { Call, SystemCtx } from "../context";
import { AppError, notFound } from "../errors";
import { derivativesOf, isDerivable, originalIsLocationFree } from "../files/images/derivatives";
import { signedFileUrl } from "../files/signed-urls";
import { itemsOf } from "./galleries";
import { type GalleryData, renderGalleryHtml } from "./gallery-html";
import { checkGalleryPassword } from "./password-attempts";
import { lookupSlug } from "./slug-cache";

const g = schema.galleries;
const f = schema.files;
const DAY_S = 86_400;
/** How long a rendered gallery stays in the cache; a new version or URL day makes a new key anyway. */
const RENDER_TTL_S = 3600;

/** The same gallery as the JSON API body or as the HTML page; each is cached under its own key. */
export type GalleryFormat = "json" | "html";

const FORMATS: Record<GalleryFormat, { prefix: string; render: (data: GalleryData) => string }> = {
  json: { prefix: "gallery", render: (data) => JSON.stringify(data) },
  html: { prefix: "gallery-html", render: renderGalleryHtml },
};

export interface PublicGallery {
  /** The body (JSON or HTML), exactly as sent: its hash is the ETag. */
  body: string;
  etag: string;
  version: number;
  protected: boolean;
}

/**
 * Item URLs expire at the second day boundary from now (so 1–2 days out): every render on one
 * day signs the same URLs, and the body and its ETag stay stable until midnight UTC.
 */
export const urlExpiry = (now: Date) => (Math.floor(now.getTime() / 1000 / DAY_S) + 2) * DAY_S;

/**
 * A shared gallery by slug. Private, deleted and expired galleries are all 404: a 410 for an
 * expired one would confirm that the slug once led somewhere, and the closed error enum has no
 * GONE. A password-protected one is 401 until the password matches, before anything is read;
 * wrong passwords are limited per gallery and per client address `ip` (then 429).
 */
export async function readPublicGallery({
  ctx,
  input: { slug, password, ip, format = "json" },
}: Call<{ slug: string; password: string | undefined; ip: string; format?: GalleryFormat }, SystemCtx>): Promise<PublicGallery> {
  const { s } = ctx;
  // On the primary (or the slug cache, kept in step with it), so a version never goes backwards.
  const meta = await lookupSlug({ ctx, input: { slug } }, async () => {
    const [row] = await s.db.primary
      .select({ id: g.id, version: g.version, visibility: g.visibility, expiresAt: g.expiresAt, passwordHash: g.passwordHash })
      .from(g)
      .where(and(eq(g.slug, slug), isNull(g.deletedAt)));
    return row;
  });
  const now = s.clock();
  if (!meta || meta.visibility === "private") throw notFound("Gallery");
  if (meta.expiresAt && new Date(meta.expiresAt).getTime() <= now.getTime()) throw notFound("Gallery");
  if (meta.passwordHash) {
    if (!password) throw new AppError("UNAUTHORIZED", "This gallery needs a password (X-Gallery-Password)");
    await checkGalleryPassword({ ctx, input: { galleryId: meta.id, ip, password, hash: meta.passwordHash } });
  }

  const exp = urlExpiry(now);
  const { prefix, render: serialise } = FORMATS[format];
  const key = `tcc:${prefix}:${meta.id}:${meta.version}:${exp}`;
  let version = meta.version;
  let body = await s.kv.get(key);
  s.metrics.cache.inc({ cache: prefix, result: body === null ? "miss" : "hit" });
  if (body === null) {
    const data = await load(ctx, meta.id, exp);
    body = serialise(data);
    version = data.version;
    // An edit landed between the two reads: serve it, but do not file it under the older version.
    if (data.version === meta.version) await s.kv.set(key, body, RENDER_TTL_S);
  }
  const etag = `"${createHash("sha256").update(body).digest("base64url")}"`;
  return { body, etag, version, protected: meta.passwordHash !== null };
}

async function load(ctx: SystemCtx, id: string, exp: number): Promise<GalleryData> {
  const db = ctx.s.db.primary;
  const [row] = await db.select().from(g).where(eq(g.id, id));
  if (!row) throw notFound("Gallery");
  const items = await itemsOf(db, id);
  const metadata = await metadataOf(
    ctx,
    row.userId,
    items.map((i) => i.fileId),
  );
  return {
    title: row.title,
    description: row.description ?? null,
    version: row.version,
    coverFileId: row.coverFileId ?? null,
    items: items.map((i) => ({
      id: i.id,
      caption: i.caption,
      file: i.file,
      ...itemUrls(ctx, id, i.file, metadata.get(i.fileId) ?? {}, exp),
    })),
  };
}

async function metadataOf(ctx: SystemCtx, userId: string, fileIds: string[]): Promise<Map<string, Record<string, unknown>>> {
  if (fileIds.length === 0) return new Map();
  const rows = await ctx.s.db.primary
    .select({ id: f.id, metadata: f.metadata })
    .from(f)
    .where(and(eq(f.userId, userId), inArray(f.id, fileIds)));
  return new Map(rows.map((r) => [r.id, r.metadata]));
}

/**
 * Images are shown through their derivatives, which carry no EXIF location unless the owner
 * opted in. Until they exist, the original stands in only if it is known to be location-free
 * (or the owner opted in); otherwise the item waits (null), and the gallery version bumps
 * when the derivatives land. Other files link to their original, as before.
 */
function itemUrls(ctx: SystemCtx, galleryId: string, file: { id: string; mime: string }, metadata: Record<string, unknown>, exp: number) {
  const url = (size?: 320 | 1280) => signedFileUrl({ ctx, input: { id: file.id, exp, size, galleryId } });
  if (!isDerivable(file.mime)) return { url: url(), thumbnailUrl: null };
  const ready = derivativesOf(metadata);
  if (ready["320"] && ready["1280"]) return { url: url(1280), thumbnailUrl: url(320) };
  if (originalIsLocationFree(metadata)) {
    const original = url();
    return { url: original, thumbnailUrl: original };
  }
  return { url: null, thumbnailUrl: null };
}
