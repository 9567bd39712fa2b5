import type { Context } from "hono";
import { AppError } from "../errors";
import { clientIp } from "../http/client-ip";
import { openGuard, pageGuard } from "../http/policy";
import type { App, AppEnv } from "../http/types";
import { etagMatches } from "../lib/http-file";
import { renderNotFoundPage, renderPasswordPage, renderTooManyPage } from "./gallery-html";
import { GALLERY_CACHE_PROTECTED, galleryHeaders } from "./public-galleries.routes";
import { readPublicGallery } from "./public-gallery";

const HTML = "text/html; charset=utf-8";
/** A password form's body: `password=` and at most 200 characters, percent-encoded. */
const MAX_FORM_BYTES = 2048;

/**
 * The page's own policy: no script, no external anything. Images come from this origin, or from
 * PUBLIC_URL when signed URLs are absolute there. secureHeaders sets no CSP, so nothing clashes.
 */
function csp(publicUrl: string | undefined): string {
  const img = publicUrl ? `'self' ${new URL(publicUrl).origin}` : "'self'";
  return `default-src 'none'; img-src ${img}; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`;
}

/** The password the form posted (`application/x-www-form-urlencoded`), or undefined. */
async function postedPassword(c: Context<AppEnv>): Promise<string | undefined> {
  const declared = Number(c.req.header("content-length") ?? "0");
  if (declared > MAX_FORM_BYTES) return undefined;
  const text = await c.req.text();
  if (text.length > MAX_FORM_BYTES) return undefined;
  return new URLSearchParams(text).get("password") || undefined;
}

async function servePage(c: Context<AppEnv>, password: string | undefined) {
  const s = c.get("services");
  const policy = { "Content-Security-Policy": csp(s.env.PUBLIC_URL) };
  const slug = c.req.param("slug") ?? "";
  const plain = (status: 401 | 404 | 429, html: string, extra: Record<string, string> = {}) =>
    c.body(html, status, { ...policy, ...extra, "Content-Type": HTML, "Cache-Control": GALLERY_CACHE_PROTECTED });
  if (slug.length > 64) return plain(404, renderNotFoundPage());
  if (password && password.length > 200) return plain(401, renderPasswordPage(true));
  let got: Awaited<ReturnType<typeof readPublicGallery>>;
  try {
    got = await readPublicGallery({ ctx: { s }, input: { slug, password, ip: clientIp(c, s.env.TRUST_PROXY), format: "html" } });
  } catch (err) {
    if (err instanceof AppError && err.code === "NOT_FOUND") return plain(404, renderNotFoundPage());
    if (err instanceof AppError && err.code === "UNAUTHORIZED") return plain(401, renderPasswordPage(password !== undefined));
    if (err instanceof AppError && err.code === "RATE_LIMITED") return plain(429, renderTooManyPage(), err.headers ?? {});
    throw err;
  }
  const headers = { ...policy, ...galleryHeaders(got) };
  if (etagMatches(c.req.header("if-none-match"), got.etag)) return c.body(null, 304, headers);
  return c.body(got.body, 200, { ...headers, "Content-Type": HTML });
}

/**
 * `GET /g/{slug}`: the shared gallery as a server-rendered page, from the same service (and rules)
 * as the JSON. A protected one shows a form that POSTs the password to the same address, so it
 * never appears in a URL (history, logs, Referer); a `?password=` query is ignored.
 */
export function registerGalleryPage(app: App) {
  app.get("/g/:slug", pageGuard, (c) => servePage(c, undefined));
  app.post("/g/:slug", openGuard, async (c) => servePage(c, await postedPassword(c)));
}
