import { createRoute, z } from "@hono/zod-openapi";
import { AppError } from "../errors";
import { clientIp } from "../http/client-ip";
import { policy } from "../http/policy";
import { errorResponses, json, Uuid } from "../http/route-kit";
import type { App } from "../http/types";
import { etagMatches } from "../lib/http-file";
import { readPublicGallery } from "./public-gallery";

const PublicGallery = z
  .object({
    title: z.string(),
    description: z.string().nullable(),
    version: z.number().int(),
    coverFileId: Uuid.nullable(),
    items: z.array(
      z.object({
        id: Uuid,
        caption: z.string().nullable(),
        file: z.object({ id: Uuid, mime: z.string(), size: z.number().int(), name: z.string().nullable() }),
        url: z.string().nullable().openapi({
          description:
            "Signed URL of the large view (an image's 1280 px WebP, or the file itself), valid until a day boundary 1–2 days out; null while an image is being processed",
        }),
        thumbnailUrl: z
          .string()
          .nullable()
          .openapi({ description: "Signed URL of an image's 320 px WebP thumbnail; null for other files and while processing" }),
      }),
    ),
  })
  .openapi("PublicGallery");

// Shared edges may keep an open gallery for 5 minutes and serve it stale while revalidating;
// a password-protected one must never sit in a shared cache.
export const GALLERY_CACHE_OPEN = "public, s-maxage=300, stale-while-revalidate=86400";
export const GALLERY_CACHE_PROTECTED = "private, no-store";

/** Caching headers of a shared gallery, JSON or page alike: the edge keys on the ETag and version. */
export function galleryHeaders(got: { etag: string; protected: boolean; version: number }) {
  return {
    ETag: got.etag,
    "Cache-Control": got.protected ? GALLERY_CACHE_PROTECTED : GALLERY_CACHE_OPEN,
    "X-Gallery-Version": String(got.version),
  };
}

export function registerPublicGalleries(app: App) {
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/public/galleries/{slug}",
      tags: ["galleries"],
      ...policy.open,
      request: {
        params: z.object({
          slug: z
            .string()
            .min(1)
            .max(64)
            .openapi({ param: { name: "slug", in: "path" } }),
        }),
        headers: z.object({
          "x-gallery-password": z.string().max(200).optional().openapi({ description: "The gallery's password, when it has one" }),
        }),
      },
      responses: {
        200: json(PublicGallery, "The shared gallery, with ETag and X-Gallery-Version"),
        304: { description: "Not modified (If-None-Match matched the ETag)" },
        ...errorResponses,
      },
    }),
    async (c) => {
      // Never in the URL: history, server logs and Referer headers keep URLs. Refused rather than
      // ignored, so a client still sending it learns why instead of getting a bare 401.
      if (c.req.query("password") !== undefined) {
        throw new AppError("VALIDATION_FAILED", "Send the gallery password in the X-Gallery-Password header, not in the URL", [
          { path: "password", message: "not accepted in the query; use the X-Gallery-Password header" },
        ]);
      }
      const password = c.req.valid("header")["x-gallery-password"];
      const s = c.get("services");
      const ip = clientIp(c, s.env.TRUST_PROXY);
      const got = await readPublicGallery({ ctx: { s }, input: { slug: c.req.valid("param").slug, password, ip } });
      const headers = galleryHeaders(got);
      if (etagMatches(c.req.header("if-none-match"), got.etag)) return c.body(null, 304, headers);
      return c.body(got.body, 200, { ...headers, "Content-Type": "application/json" });
    },
  );
}
