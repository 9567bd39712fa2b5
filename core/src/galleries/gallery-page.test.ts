import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Client, createHarness, type Harness } from "../../test/harness";
import { png } from "../../test/png";

let n = 0;
async function uploadPng(u: Client): Promise<string> {
  n++;
  const res = await u.fetch("PUT", `/v1/files?name=p${n}.png`, png(8, 6, [n * 40, 80, 200 - n * 30]), { "content-type": "image/png" });
  expect(res.status).toBe(201);
  const { id } = await res.json();
  // Derivatives first, so no job bumps a gallery's version behind a test's back.
  await h.services.jobs.drain("images");
  return id;
}

async function gallery(u: Client, body: Record<string, unknown>) {
  const res = await u.post("/v1/galleries", { title: "Trip", ...body });
  expect(res.status).toBe(201);
  return res.body as { id: string; slug: string };
}

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

const page = (path: string, headers: Record<string, string> = {}) => h.anon.fetch("GET", path, undefined, headers);
/** What the password form sends. */
const submit = (path: string, password: string, headers: Record<string, string> = {}) =>
  h.anon.fetch("POST", path, new URLSearchParams({ password }).toString(), {
    "content-type": "application/x-www-form-urlencoded",
    ...headers,
  });
const CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

describe("GET /g/:slug (HTML gallery page)", () => {
  test("renders the grid, captions, lightbox links and OpenGraph tags, with no script", async () => {
    const a = await h.user();
    const g = await gallery(a, { visibility: "public", description: "by the sea" });
    const files = [await uploadPng(a), await uploadPng(a)];
    for (const [i, fileId] of files.entries()) await a.post(`/v1/galleries/${g.id}/items`, { fileId, caption: `shot ${i + 1}` });
    await a.patch(`/v1/galleries/${g.id}`, { coverFileId: files[1] });
    const json = (await h.anon.get(`/v1/public/galleries/${g.slug}`)).body;

    const res = await page(`/g/${g.slug}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const html = await res.text();
    expect(html).toStartWith("<!doctype html>");
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(html).toContain('<meta property="og:type" content="website">');
    expect(html).toContain('<meta property="og:title" content="Trip">');
    expect(html).toContain('<meta property="og:description" content="by the sea">');
    // og:image is the cover, not the first item; URLs are the same signed ones as the JSON's.
    expect(html).toContain(`<meta property="og:image" content="${json.items[1].url.replaceAll("&", "&amp;")}">`);
    expect(html.match(/<img [^>]*loading="lazy"/g)?.length).toBe(4); // two thumbnails, two lightbox images
    expect(html).toContain('href="#item-1"');
    expect(html).toContain('id="item-2"');
    expect(html).toContain("<figcaption>shot 1</figcaption>");
    expect(html).not.toContain("<script");
    expect(html).not.toMatch(/(src|href)="https?:/); // nothing external

    // The grid shows the 320 px thumbnail, the overlay the 1280 px view (both WebP, signed per size).
    const srcs = [...html.matchAll(/<img src="([^"]+)"/g)].map((m) => (m[1] ?? "").replaceAll("&amp;", "&"));
    expect(srcs).toEqual([json.items[0].thumbnailUrl, json.items[1].thumbnailUrl, json.items[0].url, json.items[1].url]);
    expect(new URL(srcs[0] as string, "http://x").searchParams.get("size")).toBe("320");
    expect(new URL(srcs[2] as string, "http://x").searchParams.get("size")).toBe("1280");
    for (const src of srcs) {
      const img = await h.anon.fetch("GET", src);
      expect(img.status).toBe(200);
      expect(img.headers.get("content-type")).toBe("image/webp");
    }
  });

  test("hostile titles and captions render as text", async () => {
    const a = await h.user();
    const evil = `<script>alert("x")</script>'"&`;
    const g = await gallery(a, { visibility: "unlisted", title: evil, description: evil });
    await a.post(`/v1/galleries/${g.id}/items`, { fileId: await uploadPng(a), caption: `</figcaption>${evil}` });
    const html = await (await page(`/g/${g.slug}`)).text();
    expect(html).not.toContain("<script");
    expect(html).toContain("<figcaption>&lt;/figcaption&gt;&lt;script&gt;");
    expect(html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39;&quot;&amp;");
    expect(html).toContain(`<meta property="og:title" content="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39;&quot;&amp;">`);
  });

  test("private, expired and unknown galleries are a plain 404 page", async () => {
    const a = await h.user();
    const priv = await gallery(a, { visibility: "private" });
    const expired = await gallery(a, { visibility: "public", expiresAt: new Date(Date.now() - 1000).toISOString() });
    for (const slug of [priv.slug, expired.slug, "no-such-slug", "x".repeat(100)]) {
      const res = await page(`/g/${slug}`);
      expect(res.status).toBe(404);
      expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(res.headers.get("etag")).toBeNull();
      const html = await res.text();
      expect(html).toContain("Gallery not found");
      expect(html).not.toContain("Trip");
    }
  });

  test("a password-protected gallery shows a form and 401 until the password matches", async () => {
    const a = await h.user();
    const g = await gallery(a, { visibility: "public", password: "open sesame", title: "Secret trip" });
    await a.post(`/v1/galleries/${g.id}/items`, { fileId: await uploadPng(a), caption: "behind the door" });

    const none = await page(`/g/${g.slug}`);
    expect(none.status).toBe(401);
    expect(none.headers.get("cache-control")).toBe("private, no-store");
    const form = await none.text();
    expect(form).toMatch(/<form method="post">.*<input type="password" name="password"/s);
    expect(form).not.toContain("Secret trip");
    expect(form).not.toContain("behind the door");
    expect(form).not.toContain("Wrong password");

    const wrong = await submit(`/g/${g.slug}`, "nope nope");
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain("Wrong password");
    // The password never travels in the URL: a query carrying it opens nothing.
    const inUrl = await page(`/g/${g.slug}?password=${encodeURIComponent("open sesame")}`);
    expect(inUrl.status).toBe(401);
    expect(await inUrl.text()).not.toContain("behind the door");

    const ok = await submit(`/g/${g.slug}`, "open sesame");
    expect(ok.status).toBe(200);
    expect(ok.headers.get("cache-control")).toBe("private, no-store");
    expect(await ok.text()).toContain("<figcaption>behind the door</figcaption>");
    // A matching ETag without the password is still a 401, never a 304.
    expect((await page(`/g/${g.slug}`, { "if-none-match": ok.headers.get("etag") as string })).status).toBe(401);
  });

  test("caching headers, strong ETag, 304, version bumps, and the security headers", async () => {
    const a = await h.user();
    const g = await gallery(a, { visibility: "public" });
    await a.post(`/v1/galleries/${g.id}/items`, { fileId: await uploadPng(a) });

    const first = await page(`/g/${g.slug}`);
    expect(first.status).toBe(200);
    const body = await first.text();
    expect(first.headers.get("cache-control")).toBe("public, s-maxage=300, stale-while-revalidate=86400");
    expect(first.headers.get("content-security-policy")).toBe(CSP);
    expect(first.headers.get("x-frame-options")).toBe("DENY");
    expect(first.headers.get("x-content-type-options")).toBe("nosniff");
    expect(first.headers.get("ratelimit-limit")).not.toBeNull(); // the per-IP budget applies
    const etag = first.headers.get("etag") as string;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
    expect(first.headers.get("x-gallery-version")).toBe("2");
    const hash = new Bun.CryptoHasher("sha256").update(body).digest("base64url");
    expect(etag).toBe(`"${hash}"`);
    // The JSON and the page never share an ETag (nor a cache entry).
    expect((await page(`/v1/public/galleries/${g.slug}`)).headers.get("etag")).not.toBe(etag);

    const again = await page(`/g/${g.slug}`);
    expect(again.headers.get("etag")).toBe(etag);
    expect(await again.text()).toBe(body);

    const notModified = await page(`/g/${g.slug}`, { "if-none-match": etag });
    expect(notModified.status).toBe(304);
    expect(await notModified.text()).toBe("");
    expect(notModified.headers.get("etag")).toBe(etag);
    expect(notModified.headers.get("x-gallery-version")).toBe("2");

    await a.patch(`/v1/galleries/${g.id}`, { title: "Renamed" });
    const edited = await page(`/g/${g.slug}`, { "if-none-match": etag });
    expect(edited.status).toBe(200);
    expect(edited.headers.get("x-gallery-version")).toBe("3");
    expect(edited.headers.get("etag")).not.toBe(etag);
    expect(await edited.text()).toContain("<h1>Renamed</h1>");

    await a.patch(`/v1/galleries/${g.id}`, { visibility: "private" });
    expect((await page(`/g/${g.slug}`)).status).toBe(404);
  });
});
