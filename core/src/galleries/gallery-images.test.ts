import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Client, createHarness, type Harness } from "../../test/harness";
import { inspect, jpeg, nextColour } from "../../test/jpeg";
import { makeDerivatives } from "../files/images/derivative-job";

const withGps = () => jpeg({ width: 600, height: 400, gps: true, colour: nextColour() });
async function upload(u: Client, bytes: Uint8Array, query = ""): Promise<string> {
  const res = await u.fetch("PUT", `/v1/files?name=shot.jpg${query}`, bytes, { "content-type": "image/jpeg" });
  expect(res.status).toBe(201);
  return (await res.json()).id;
}
const pathOf = (url: string) => {
  const u = new URL(url, "http://x");
  return `${u.pathname}${u.search}`;
};

/** Runs no jobs by itself: each test runs the job (makeDerivatives) when it wants the derivatives. */
let h: Harness;
beforeAll(async () => {
  h = await createHarness({ JOB_WORKERS: "off" });
});
afterAll(() => h.close());

async function publicGallery(a: Client, fileIds: string[]) {
  const g = (await a.post("/v1/galleries", { title: "Walk", visibility: "public" })).body;
  for (const fileId of fileIds) expect((await a.post(`/v1/galleries/${g.id}/items`, { fileId })).status).toBe(201);
  return g as { id: string; slug: string };
}

describe("galleries show derivatives", () => {
  test("while pending an image with a possible location waits; when ready the version bumps and the grid uses 320, the view 1280", async () => {
    const a = await h.user();
    const id = await upload(a, await withGps());
    const g = await publicGallery(a, [id]);
    const before = await h.anon.get(`/v1/public/galleries/${g.slug}`);
    expect(before.body.items[0]).toMatchObject({ url: null, thumbnailUrl: null });
    const page = await (await h.anon.fetch("GET", `/g/${g.slug}`)).text();
    expect(page).toContain("Processing…");
    expect(page).not.toContain("<img");

    await makeDerivatives({ ctx: { s: h.services }, input: { userId: a.info.id, fileId: id } });
    const after = await h.anon.get(`/v1/public/galleries/${g.slug}`);
    expect(Number(after.headers.get("x-gallery-version"))).toBe(Number(before.headers.get("x-gallery-version")) + 1);
    const item = after.body.items[0];
    expect(new URL(item.thumbnailUrl, "http://x").searchParams.get("size")).toBe("320");
    expect(new URL(item.url, "http://x").searchParams.get("size")).toBe("1280");
    for (const [url, longest] of [
      [item.thumbnailUrl, 320],
      [item.url, 600],
    ] as const) {
      const img = await h.anon.fetch("GET", pathOf(url));
      expect(img.status).toBe(200);
      const seen = await inspect(new Uint8Array(await img.arrayBuffer()));
      expect(seen).toMatchObject({ format: "webp", gps: null });
      expect(Math.max(seen.width ?? 0, seen.height ?? 0)).toBe(longest);
    }
    const html = await (await h.anon.fetch("GET", `/g/${g.slug}`)).text();
    expect(html).toContain(`<img src="${item.thumbnailUrl.replaceAll("&", "&amp;")}" alt="shot.jpg" loading="lazy" decoding="async">`);
    expect(html).toContain(`<img src="${item.url.replaceAll("&", "&amp;")}" alt="shot.jpg" loading="lazy">`);
  });

  test("a gallery's derivative link cannot be turned into a link to the original", async () => {
    const a = await h.user();
    const id = await upload(a, await withGps());
    const g = await publicGallery(a, [id]);
    await makeDerivatives({ ctx: { s: h.services }, input: { userId: a.info.id, fileId: id } });
    const thumb = new URL((await h.anon.get(`/v1/public/galleries/${g.slug}`)).body.items[0].thumbnailUrl, "http://x");
    const original = new URL(thumb);
    original.searchParams.delete("size");
    const larger = new URL(thumb);
    larger.searchParams.set("size", "1280");
    for (const u of [original, larger]) {
      const res = await h.anon.fetch("GET", `${u.pathname}${u.search}`);
      expect(res.status).toBe(403);
      expect((await res.json()).error.message).toBe("Invalid link signature");
    }
  });

  test("with keepLocation the original stands in until the derivatives are ready", async () => {
    const a = await h.user();
    const id = await upload(a, await withGps(), "&keepLocation=true");
    const g = await publicGallery(a, [id]);
    const item = (await h.anon.get(`/v1/public/galleries/${g.slug}`)).body.items[0];
    expect(item.url).toBe(item.thumbnailUrl);
    expect(new URL(item.url, "http://x").searchParams.get("size")).toBeNull();
    const img = await h.anon.fetch("GET", pathOf(item.url));
    expect(img.headers.get("content-type")).toBe("image/jpeg");
  });

  test("turning keepLocation off withdraws the derivatives from the gallery at once", async () => {
    const a = await h.user();
    const id = await upload(a, await withGps(), "&keepLocation=true");
    const g = await publicGallery(a, [id]);
    await makeDerivatives({ ctx: { s: h.services }, input: { userId: a.info.id, fileId: id } });
    const ready = await h.anon.get(`/v1/public/galleries/${g.slug}`);
    expect(ready.body.items[0].thumbnailUrl).toContain("size=320");
    expect((await a.patch(`/v1/files/${id}`, { keepLocation: false })).status).toBe(200);
    const withdrawn = await h.anon.get(`/v1/public/galleries/${g.slug}`);
    expect(Number(withdrawn.headers.get("x-gallery-version"))).toBeGreaterThan(Number(ready.headers.get("x-gallery-version")));
    expect(withdrawn.body.items[0]).toMatchObject({ url: null, thumbnailUrl: null });
    // The old signed derivative link no longer serves the location-bearing bytes.
    expect((await h.anon.fetch("GET", pathOf(ready.body.items[0].url))).status).toBe(404);
  });
});

describe("signed URLs for a derivative", () => {
  test("the owner signs a link to one size; it serves that size only", async () => {
    const a = await h.user();
    const b = await h.user();
    const id = await upload(a, await withGps());
    await makeDerivatives({ ctx: { s: h.services }, input: { userId: a.info.id, fileId: id } });
    const signed = await a.post(`/v1/files/${id}/url`, { size: 320, expiresInSeconds: 60 });
    expect(signed.status).toBe(201);
    const res = await h.anon.fetch("GET", pathOf(signed.body.url));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/webp");
    expect(
      (await h.anon.fetch("GET", pathOf(signed.body.url), undefined, { "if-none-match": res.headers.get("etag") as string })).status,
    ).toBe(304);
    expect((await a.post(`/v1/files/${id}/url`, { size: 640 })).status).toBe(400);
    expect((await b.post(`/v1/files/${id}/url`, { size: 320 })).status).toBe(404);
  });
});
