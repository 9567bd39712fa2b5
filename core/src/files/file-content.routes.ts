import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { policy } from "../http/policy";
import { ctxOf, errorResponses, IdParam, json, Uuid } from "../http/route-kit";
import type { App, AppEnv } from "../http/types";
import { contentDisposition, etagMatches, parseRange } from "../lib/http-file";
import { INLINE_SAFE } from "../lib/sniff";
import { RangeNotSatisfiableError } from "../storage";
import * as files from "./files";
import { DERIVATIVE_SIZES, type DerivativeSize, type Representation, representation } from "./images/derivatives";
import { openSignedFile } from "./signed-urls";

const tags = ["files"];

/** `?size=320|1280` picks an image derivative instead of the original. */
const SizeParam = z
  .enum(DERIVATIVE_SIZES.map(String) as [string, ...string[]])
  .optional()
  .openapi({ description: "An image derivative's longest edge (WebP, EXIF stripped unless keepLocation); 404 until it is ready" });
const sizeOf = (size: string | undefined) => (size === undefined ? undefined : (Number(size) as DerivativeSize));
const binary = (description: string) => ({
  content: { "application/octet-stream": { schema: z.string().openapi({ format: "binary" }) } },
  description,
});
export const contentResponses = {
  200: binary("The whole file"),
  206: binary("The requested range, with Content-Range"),
  304: { description: "Not modified (If-None-Match matched the ETag)" },
  416: json(z.object({}).passthrough(), "Range not satisfiable; Content-Range says the size"),
  ...errorResponses,
};

/** Streams a file or derivative with ETag/304, single Range (206/416), and headers that keep the browser from rendering active content. */
export async function serveFile<E extends AppEnv>(c: Context<E>, row: Representation) {
  const etag = `"${row.sha256}"`;
  const headers: Record<string, string> = {
    ETag: etag,
    "Accept-Ranges": "bytes",
    "Cache-Control": "private, no-cache",
    "X-Content-Type-Options": "nosniff",
    // HTML, SVG, scripts and everything unknown download; only inert raster images may render in place.
    "Content-Disposition": contentDisposition(INLINE_SAFE.has(row.mime) ? "inline" : "attachment", row.name),
    "Content-Security-Policy": "default-src 'none'; sandbox",
  };
  if (etagMatches(c.req.header("if-none-match"), etag)) return c.body(null, 304, headers);
  const ifRange = c.req.header("if-range");
  const range = ifRange && ifRange.trim() !== etag ? null : parseRange(c.req.header("range"), row.size);
  if (range === "unsatisfiable") throw new RangeNotSatisfiableError(row.size);
  const got = await files.openContent({ ctx: { s: c.get("services") }, input: { rep: row, range: range ?? undefined } });
  headers["Content-Type"] = row.mime;
  if (got.range) {
    headers["Content-Range"] = `bytes ${got.range.start}-${got.range.end}/${got.size}`;
    headers["Content-Length"] = String(got.range.end - got.range.start + 1);
    return c.body(got.body, 206, headers);
  }
  headers["Content-Length"] = String(got.size);
  return c.body(got.body, 200, headers);
}

/** Downloads: a file or one of its image derivatives, with a token or through a signed URL. */
export function registerFileContent(app: App) {
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/files/{id}/content",
      tags,
      ...policy.signedIn,
      request: { params: IdParam, query: z.object({ size: SizeParam }) },
      responses: contentResponses,
    }),
    async (c) => {
      const row = await files.findFile({ ctx: ctxOf(c, "files:read"), input: c.req.valid("param") });
      return serveFile(c, representation(row, sizeOf(c.req.valid("query").size)));
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/public/files/{id}",
      tags,
      // No token: the signature in the URL is the authority.
      ...policy.open,
      request: {
        params: IdParam,
        query: z.object({
          exp: z.coerce.number().int().positive(),
          sig: z.string().min(1).max(128),
          size: SizeParam,
          g: Uuid.optional().openapi({
            description: "The gallery a gallery's link was made for: it works only while that gallery shows the file",
          }),
        }),
      },
      responses: contentResponses,
    }),
    async (c) => {
      const { exp, sig, size, g } = c.req.valid("query");
      const row = await openSignedFile({
        ctx: { s: c.get("services") },
        input: { id: c.req.valid("param").id, exp, sig, size: sizeOf(size), galleryId: g },
      });
      return serveFile(c, representation(row, sizeOf(size)));
    },
  );
}
