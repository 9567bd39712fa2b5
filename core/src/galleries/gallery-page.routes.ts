import { AppError } from "../errors";
import { pageGuard } from "../http/policy";
import type { App } from "../http/types";
import { etagMatches } from "../lib/http-file";
import { renderNotFoundPage, renderPasswordPage } from "./gallery-html";
import { GALLERY_CACHE_PROTECTED, galleryHeaders } from "./public-galleries.routes";
import { readPublicGallery } from "./public-gallery";

const HTML = "text/html; charset=utf-8";

/**
 * The page's own policy: no script, no external anything. Images come from this origin, or from
 * PUBLIC_URL when signed URLs are absolute there. secureHeaders sets no CSP, so nothing clashes.
 */
function csp(publicUrl: string | undefined): string {
  const img = publicUrl ? `'self' ${new URL(publicUrl).origin}` : "'self'";
  return `default-src 'none'; img-src ${img}; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`;
}

/** `GET /g/{slug}`: the shared gallery as a server-rendered page, from the same service (and rules) as the JSON. */
export function registerGalleryPage(app: App) {
  app.get("/g/:slug", pageGuard, async (c) => {
    const s = c.get("services");
    const policy = { "Content-Security-Policy": csp(s.env.PUBLIC_URL) };
    const slug = c.req.param("slug");
    const password = c.req.query("password") || undefined;
    const plain = (status: 401 | 404, html: string) =>
      c.body(html, status, { ...policy, "Content-Type": HTML, "Cache-Control": GALLERY_CACHE_PROTECTED });
    if (slug.length > 64) return plain(404, renderNotFoundPage());
    if (password && password.length > 200) return plain(401, renderPasswordPage(true));
    let got: Awaited<ReturnType<typeof readPublicGallery>>;
    try {
      got = await readPublicGallery({ ctx: { s }, input: { slug, password, format: "html" } });
    } catch (err) {
      if (err instanceof AppError && err.code === "NOT_FOUND") return plain(404, renderNotFoundPage());
      if (err instanceof AppError && err.code === "UNAUTHORIZED") return plain(401, renderPasswordPage(password !== undefined));
      throw err;
    }
    const headers = { ...policy, ...galleryHeaders(got) };
    if (etagMatches(c.req.header("if-none-match"), got.etag)) return c.body(null, 304, headers);
    return c.body(got.body, 200, { ...headers, "Content-Type": HTML });
  });
}
