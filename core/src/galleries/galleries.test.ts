import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Client, createHarness, type Harness } from "../../test/harness";

let n = 0;
/** Distinct bytes per call, so dedupe never joins unrelated uploads. */
const unique = (label: string) => new TextEncoder().encode(`${label} ${Date.now()} ${process.pid} ${++n}\n`);

async function upload(u: Client, name = "photo.txt"): Promise<string> {
  const res = await u.fetch("PUT", `/v1/files?name=${encodeURIComponent(name)}`, unique(name), { "content-type": "text/plain" });
  expect(res.status).toBe(201);
  return (await res.json()).id;
}

async function gallery(u: Client, body: Record<string, unknown> = {}) {
  const res = await u.post("/v1/galleries", { title: "Trip", ...body });
  expect(res.status).toBe(201);
  return res.body as { id: string; slug: string; version: number };
}

const version = async (u: Client, id: string): Promise<number> => (await u.get(`/v1/galleries/${id}`)).body.version;

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

describe("galleries: owner CRUD", () => {
  test("create, read back, list, patch and soft-delete", async () => {
    const a = await h.user();
    const res = await a.post("/v1/galleries", { title: "Summer", description: "by the sea" });
    expect(res.status).toBe(201);
    const g = res.body;
    expect(g).toMatchObject({
      title: "Summer",
      description: "by the sea",
      visibility: "private",
      hasPassword: false,
      expiresAt: null,
      version: 1,
    });
    expect(g.slug).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(g).not.toHaveProperty("passwordHash");
    expect((await a.get(`/v1/galleries/${g.id}`)).body).toEqual({ ...g, items: [] });

    const patched = await a.patch(`/v1/galleries/${g.id}`, { title: "Summer '26", visibility: "public", password: "open sesame" });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ title: "Summer '26", visibility: "public", hasPassword: true, version: 2 });
    expect((await a.patch(`/v1/galleries/${g.id}`, { password: null })).body).toMatchObject({ hasPassword: false, version: 3 });

    expect((await a.del(`/v1/galleries/${g.id}`)).status).toBe(204);
    expect((await a.get(`/v1/galleries/${g.id}`)).status).toBe(404);
    expect((await a.get("/v1/galleries")).body.items).toEqual([]);
    expect((await a.del(`/v1/galleries/${g.id}`)).status).toBe(404);
  });

  test("the list pages newest first with a cursor", async () => {
    const a = await h.user();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await gallery(a, { title: `g${i}` })).id);
    const first = await a.get("/v1/galleries?limit=2");
    expect(first.body.items.map((g: { id: string }) => g.id)).toEqual([ids[4], ids[3]]);
    const seen = [...first.body.items];
    let cursor = first.body.nextCursor;
    while (cursor) {
      const next = await a.get(`/v1/galleries?limit=2&cursor=${encodeURIComponent(cursor)}`);
      seen.push(...next.body.items);
      cursor = next.body.nextCursor;
    }
    expect(seen.map((g) => g.id)).toEqual([...ids].reverse());
    expect((await a.get("/v1/galleries?cursor=garbage")).status).toBe(400);
  });

  test("invalid input is a 400 envelope and nothing changes", async () => {
    const a = await h.user();
    expect((await a.post("/v1/galleries", { title: "x", visibility: "secret" })).body.error.code).toBe("VALIDATION_FAILED");
    expect((await a.post("/v1/galleries", { title: "" })).status).toBe(400);
    expect((await a.post("/v1/galleries", { title: "x", slug: "mine" })).status).toBe(400);
    expect((await a.post("/v1/galleries", { title: "x", expiresAt: "tomorrow" })).status).toBe(400);
    const g = await gallery(a);
    expect((await a.patch(`/v1/galleries/${g.id}`, { visibility: "everyone" })).status).toBe(400);
    // The cover must be one of the gallery's files.
    const file = await upload(a);
    const cover = await a.patch(`/v1/galleries/${g.id}`, { coverFileId: file });
    expect(cover.status).toBe(400);
    expect(cover.body.error.details).toEqual([{ path: "coverFileId", message: "not a file in this gallery" }]);
    expect(await version(a, g.id)).toBe(1); // the refused patch rolled back its version bump
    expect((await a.get("/v1/galleries")).body.items).toHaveLength(1);
  });

  test("an API key needs the galleries scopes", async () => {
    const a = await h.user();
    const keyWith = async (scopes: string[]) => a.withToken((await a.post("/v1/api-keys", { name: "k", scopes })).body.key);
    const reader = await keyWith(["galleries:read"]);
    expect((await reader.get("/v1/galleries")).status).toBe(200);
    expect((await reader.post("/v1/galleries", { title: "x" })).status).toBe(403);
    expect((await (await keyWith(["files:read"])).get("/v1/galleries")).status).toBe(403);
    expect((await (await keyWith(["galleries:write"])).post("/v1/galleries", { title: "x" })).status).toBe(201);
  });
});

describe("galleries: items", () => {
  test("add, caption, reorder, cover and remove; each change bumps the version", async () => {
    const a = await h.user();
    const g = await gallery(a);
    const [f1, f2, f3] = [await upload(a, "one.txt"), await upload(a, "two.txt"), await upload(a, "three.txt")];
    const added = [];
    for (const fileId of [f1, f2, f3]) {
      const res = await a.post(`/v1/galleries/${g.id}/items`, { fileId, caption: `cap ${fileId.slice(0, 4)}` });
      expect(res.status).toBe(201);
      added.push(res.body);
    }
    expect(added.map((i) => i.position)).toEqual([0, 1, 2]);
    expect(added[0].file).toEqual({ id: f1, mime: "text/plain", size: expect.any(Number), name: "one.txt" });
    expect(await version(a, g.id)).toBe(4);

    const cap = await a.patch(`/v1/galleries/${g.id}/items/${added[1].id}`, { caption: "the middle one" });
    expect(cap.status).toBe(200);
    expect(cap.body).toMatchObject({ id: added[1].id, caption: "the middle one", fileId: f2 });
    expect(await version(a, g.id)).toBe(5);

    const order = [added[2].id, added[0].id, added[1].id];
    const re = await a.put(`/v1/galleries/${g.id}/order`, { itemIds: order });
    expect(re.status).toBe(200);
    expect(re.body.items.map((i: { id: string }) => i.id)).toEqual(order);
    const read = (await a.get(`/v1/galleries/${g.id}`)).body;
    expect(read.version).toBe(6);
    expect(read.items.map((i: { id: string; position: number }) => [i.id, i.position])).toEqual(order.map((id, i) => [id, i]));

    expect((await a.patch(`/v1/galleries/${g.id}`, { coverFileId: f3 })).body).toMatchObject({ coverFileId: f3, version: 7 });
    expect((await a.del(`/v1/galleries/${g.id}/items/${added[2].id}`)).status).toBe(204);
    const after = (await a.get(`/v1/galleries/${g.id}`)).body;
    expect(after).toMatchObject({ version: 8, coverFileId: null }); // the cover left with its only item
    expect(after.items.map((i: { id: string }) => i.id)).toEqual([added[0].id, added[1].id]);
    expect((await a.del(`/v1/galleries/${g.id}/items/${added[2].id}`)).status).toBe(404);
    const next = await a.post(`/v1/galleries/${g.id}/items`, { fileId: f3 });
    expect(next.body.position).toBe(3); // appended after the highest position, gaps and all
  });

  test("the same file may be added twice, as two items", async () => {
    const a = await h.user();
    const g = await gallery(a);
    const f = await upload(a);
    const first = await a.post(`/v1/galleries/${g.id}/items`, { fileId: f });
    const second = await a.post(`/v1/galleries/${g.id}/items`, { fileId: f, caption: "again" });
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(second.body.id).not.toBe(first.body.id);
    expect((await a.get(`/v1/galleries/${g.id}`)).body.items.map((i: { fileId: string }) => i.fileId)).toEqual([f, f]);
  });

  test("an Idempotency-Key retry of an append returns the first item instead of a second", async () => {
    const a = await h.user();
    const g = await gallery(a);
    const fileId = await upload(a);
    const send = () => a.post(`/v1/galleries/${g.id}/items`, { fileId }, { "idempotency-key": "append-1" });
    const first = await send();
    const retry = await send();
    expect([first.status, retry.status]).toEqual([201, 201]);
    expect(retry.body).toEqual(first.body);
    expect((await a.get(`/v1/galleries/${g.id}`)).body).toMatchObject({ version: 2, items: [{ id: first.body.id }] });
  });

  test("a reorder must name each item exactly once", async () => {
    const a = await h.user();
    const g = await gallery(a);
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await a.post(`/v1/galleries/${g.id}/items`, { fileId: await upload(a) })).body.id);
    const before = await version(a, g.id);
    for (const itemIds of [
      [ids[0], ids[1]],
      [ids[0], ids[1], ids[1]],
      [...ids, crypto.randomUUID()],
      [ids[0], ids[1], crypto.randomUUID()],
      [],
    ]) {
      const res = await a.put(`/v1/galleries/${g.id}/order`, { itemIds });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe("VALIDATION_FAILED");
    }
    expect((await a.put(`/v1/galleries/${g.id}/order`, { itemIds: ["nope"] })).status).toBe(400);
    expect(await version(a, g.id)).toBe(before);
    expect((await a.get(`/v1/galleries/${g.id}`)).body.items.map((i: { id: string }) => i.id)).toEqual(ids);
  });

  test("a missing or deleted file is 404 File not found", async () => {
    const a = await h.user();
    const g = await gallery(a);
    const missing = await a.post(`/v1/galleries/${g.id}/items`, { fileId: crypto.randomUUID() });
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toBe("File not found");
    const f = await upload(a);
    expect((await a.del(`/v1/files/${f}`)).status).toBe(204);
    expect((await a.post(`/v1/galleries/${g.id}/items`, { fileId: f })).status).toBe(404);
    expect(await version(a, g.id)).toBe(1);
  });
});

describe("galleries: another user's", () => {
  test("are 404 in every route, never listed, and their files cannot be added", async () => {
    const a = await h.user();
    const b = await h.user();
    const g = await gallery(a, { visibility: "public" });
    const f = await upload(a);
    const item = (await a.post(`/v1/galleries/${g.id}/items`, { fileId: f })).body;
    const v = await version(a, g.id);

    const bFile = await upload(b);
    for (const res of [
      await b.get(`/v1/galleries/${g.id}`),
      await b.patch(`/v1/galleries/${g.id}`, { title: "mine now" }),
      await b.del(`/v1/galleries/${g.id}`),
      await b.post(`/v1/galleries/${g.id}/items`, { fileId: bFile }),
      await b.patch(`/v1/galleries/${g.id}/items/${item.id}`, { caption: "x" }),
      await b.del(`/v1/galleries/${g.id}/items/${item.id}`),
      await b.put(`/v1/galleries/${g.id}/order`, { itemIds: [item.id] }),
    ]) {
      expect(res.status).toBe(404);
      expect(res.body.error.message).toBe("Gallery not found");
    }
    expect((await b.get("/v1/galleries")).body.items).toEqual([]);

    const mine = await gallery(b);
    const steal = await b.post(`/v1/galleries/${mine.id}/items`, { fileId: f });
    expect(steal.status).toBe(404);
    expect(steal.body.error.message).toBe("File not found");
    // Nor through the cover.
    expect((await b.patch(`/v1/galleries/${mine.id}`, { coverFileId: f })).status).toBe(400);

    const still = (await a.get(`/v1/galleries/${g.id}`)).body;
    expect(still).toMatchObject({ title: "Trip", version: v });
    expect(still.items).toHaveLength(1);
  });
});

describe("galleries: public read by slug", () => {
  const pub = (slug: string, headers: Record<string, string> = {}) => h.anon.get(`/v1/public/galleries/${slug}`, headers);
  const cacheCount = async (result: "hit" | "miss") =>
    (await h.services.metrics.cache.get()).values.find((v) => v.labels.cache === "gallery" && v.labels.result === result)?.value ?? 0;

  test("private, deleted, expired and unknown galleries are 404 alike", async () => {
    const a = await h.user();
    const priv = await gallery(a);
    expect((await pub(priv.slug)).status).toBe(404);
    const gone = await gallery(a, { visibility: "public" });
    expect((await pub(gone.slug)).status).toBe(200);
    await a.del(`/v1/galleries/${gone.id}`);
    expect((await pub(gone.slug)).status).toBe(404);
    const expired = await gallery(a, { visibility: "public", expiresAt: new Date(Date.now() - 1000).toISOString() });
    expect((await pub(expired.slug)).status).toBe(404);
    await a.patch(`/v1/galleries/${expired.id}`, { expiresAt: null });
    expect((await pub(expired.slug)).status).toBe(200);
    const later = await gallery(a, { visibility: "unlisted", expiresAt: new Date(Date.now() + 3600_000).toISOString() });
    expect((await pub(later.slug)).status).toBe(200);
    expect((await pub("no-such-slug")).status).toBe(404);
  });

  test("unlisted and public galleries serve their items with signed URLs that download", async () => {
    const a = await h.user();
    for (const visibility of ["unlisted", "public"]) {
      const g = await gallery(a, { visibility, description: "d" });
      const f = await upload(a, "a.txt");
      const item = (await a.post(`/v1/galleries/${g.id}/items`, { fileId: f, caption: "hello" })).body;
      const res = await pub(g.slug);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toContain("application/json");
      expect(res.body).toEqual({
        title: "Trip",
        description: "d",
        version: 2,
        coverFileId: null,
        items: [
          {
            id: item.id,
            caption: "hello",
            file: { id: f, mime: "text/plain", size: expect.any(Number), name: "a.txt" },
            url: expect.any(String),
            thumbnailUrl: null, // only images have thumbnails
          },
        ],
      });
      expect(JSON.stringify(res.body)).not.toContain(a.info.id);
      const url = new URL(res.body.items[0].url, "http://x");
      const exp = Number(url.searchParams.get("exp"));
      expect(exp % 86_400).toBe(0); // a day boundary, so every read today signs the same URL
      expect(exp * 1000 - Date.now()).toBeGreaterThan(86_400_000);
      const dl = await h.anon.fetch("GET", `${url.pathname}${url.search}`);
      expect(dl.status).toBe(200);
      expect(await dl.text()).toStartWith("a.txt");
    }
  });

  test("a password is required, checked, and never skipped", async () => {
    const a = await h.user();
    const g = await gallery(a, { visibility: "public", password: "open sesame" });
    await a.post(`/v1/galleries/${g.id}/items`, { fileId: await upload(a) });
    const none = await pub(g.slug);
    expect(none.status).toBe(401);
    expect(JSON.stringify(none.body)).not.toContain("items");
    expect((await pub(g.slug, { "x-gallery-password": "wrong" })).status).toBe(401);
    const ok = await pub(g.slug, { "x-gallery-password": "open sesame" });
    expect(ok.status).toBe(200);
    expect(ok.body.items).toHaveLength(1);
    expect(ok.headers.get("cache-control")).toBe("private, no-store");
    // Never in the URL, right or wrong: a 400 that says where it goes instead.
    for (const wrongPlace of ["wrong", "open sesame"]) {
      const inUrl = await h.anon.get(`/v1/public/galleries/${g.slug}?password=${encodeURIComponent(wrongPlace)}`);
      expect(inUrl.status).toBe(400);
      expect(inUrl.body.error).toMatchObject({ code: "VALIDATION_FAILED", details: [{ path: "password" }] });
      expect(JSON.stringify(inUrl.body)).not.toContain("items");
    }
    // Even with a matching ETag, no password means no answer (not a 304).
    expect((await pub(g.slug, { "if-none-match": ok.headers.get("etag") as string })).status).toBe(401);
  });

  test("the gzipped body has its own ETag, and revalidating with it still gets a 304", async () => {
    const a = await h.user();
    const g = await gallery(a, { visibility: "public", description: "long enough to be worth compressing ".repeat(40) });
    const get = (headers: Record<string, string>) => h.app.request(`/v1/public/galleries/${g.slug}`, { headers });
    const plain = await get({});
    const zipped = await get({ "accept-encoding": "gzip" });
    expect(zipped.headers.get("content-encoding")).toBe("gzip");
    const plainTag = plain.headers.get("etag") as string;
    expect(zipped.headers.get("etag")).toBe(`${plainTag.slice(0, -1)}-gzip"`);
    const revalidated = await get({ "accept-encoding": "gzip", "if-none-match": zipped.headers.get("etag") as string });
    expect(revalidated.status).toBe(304);
    expect(revalidated.headers.get("etag")).toBe(zipped.headers.get("etag")); // the tag it sent, not the plain one
    expect(revalidated.headers.get("vary")).toContain("Accept-Encoding");
    const plainAgain = await get({ "if-none-match": plainTag });
    expect(plainAgain.status).toBe(304);
    expect(plainAgain.headers.get("etag")).toBe(plainTag);
    // A gzip-capable client revalidating a plain copy keeps the plain tag.
    expect((await get({ "accept-encoding": "gzip", "if-none-match": plainTag })).headers.get("etag")).toBe(plainTag);
    expect((await get({ "if-none-match": '"something-else-gzip"' })).status).toBe(200);
  });

  test("deleting or purging a file takes it off the public page at once", async () => {
    const a = await h.user();
    const g = await gallery(a, { visibility: "public" });
    const [kept, hidden, purged] = [await upload(a), await upload(a), await upload(a)];
    for (const fileId of [kept, hidden, purged]) await a.post(`/v1/galleries/${g.id}/items`, { fileId });
    const before = await pub(g.slug);
    expect(before.body.items).toHaveLength(3); // now cached for this version
    const version = Number(before.headers.get("x-gallery-version"));

    expect((await a.del(`/v1/files/${hidden}`)).status).toBe(204);
    const afterHide = await pub(g.slug);
    expect(Number(afterHide.headers.get("x-gallery-version"))).toBe(version + 1);
    expect(afterHide.body.items.map((i: { file: { id: string } }) => i.file.id)).toEqual([kept, purged]);

    expect((await a.del(`/v1/files/${purged}?purge=true`)).status).toBe(204);
    const afterPurge = await pub(g.slug);
    expect(Number(afterPurge.headers.get("x-gallery-version"))).toBe(version + 2);
    expect(afterPurge.body.items.map((i: { file: { id: string } }) => i.file.id)).toEqual([kept]);

    // Another user's delete attempt changes nothing, not even the version.
    const b = await h.user();
    expect((await b.del(`/v1/files/${kept}`)).status).toBe(404);
    expect((await pub(g.slug)).headers.get("x-gallery-version")).toBe(String(version + 2));
  });

  test("ETag, 304, version header and cache headers follow edits; warm reads come from the cache", async () => {
    const a = await h.user();
    const g = await gallery(a, { visibility: "public" });
    await a.post(`/v1/galleries/${g.id}/items`, { fileId: await upload(a) });

    const missesBefore = await cacheCount("miss");
    const first = await pub(g.slug);
    expect(first.status).toBe(200);
    expect(first.headers.get("cache-control")).toBe("public, s-maxage=300, stale-while-revalidate=86400");
    expect(first.headers.get("x-gallery-version")).toBe("2");
    const etag = first.headers.get("etag") as string;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{43}"$/); // strong: no W/
    expect(await cacheCount("miss")).toBe(missesBefore + 1);

    const hitsBefore = await cacheCount("hit");
    const second = await pub(g.slug);
    expect(second.body).toEqual(first.body);
    expect(second.headers.get("etag")).toBe(etag);
    expect(await cacheCount("hit")).toBe(hitsBefore + 1);
    expect(await cacheCount("miss")).toBe(missesBefore + 1);

    const notModified = await pub(g.slug, { "if-none-match": etag });
    expect(notModified.status).toBe(304);
    expect(notModified.body).toBeNull();
    expect(notModified.headers.get("etag")).toBe(etag);
    expect(notModified.headers.get("x-gallery-version")).toBe("2");
    expect(notModified.headers.get("cache-control")).toBe("public, s-maxage=300, stale-while-revalidate=86400");

    await a.patch(`/v1/galleries/${g.id}`, { title: "Renamed" });
    const edited = await pub(g.slug, { "if-none-match": etag });
    expect(edited.status).toBe(200);
    expect(edited.body.title).toBe("Renamed");
    expect(edited.headers.get("x-gallery-version")).toBe("3");
    expect(edited.headers.get("etag")).not.toBe(etag);

    // Item edits roll the version (and the cached body) too.
    const item = edited.body.items[0].id;
    await a.patch(`/v1/galleries/${g.id}/items/${item}`, { caption: "new caption" });
    const recaptioned = await pub(g.slug);
    expect(recaptioned.headers.get("x-gallery-version")).toBe("4");
    expect(recaptioned.body.items[0].caption).toBe("new caption");

    // Going private takes it off the public path at once.
    await a.patch(`/v1/galleries/${g.id}`, { visibility: "private" });
    expect((await pub(g.slug)).status).toBe(404);
  });
});
