import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Client, createHarness, type Harness } from "../../test/harness";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

let n = 0;
async function upload(u: Client): Promise<string> {
  const res = await u.fetch("PUT", "/v1/files?name=notes.txt", `shared notes ${Date.now()} ${process.pid} ${++n}`, {
    "content-type": "text/plain",
  });
  expect(res.status).toBe(201);
  return (await res.json()).id;
}

/** A shared gallery holding one file, and that item's signed link as the gallery hands it out. */
async function sharedItem(u: Client) {
  const g = (await u.post("/v1/galleries", { title: "Shared", visibility: "unlisted" })).body as { id: string; slug: string };
  const fileId = await upload(u);
  const item = (await u.post(`/v1/galleries/${g.id}/items`, { fileId })).body as { id: string };
  const pub = await h.anon.get(`/v1/public/galleries/${g.slug}`);
  expect(pub.status).toBe(200);
  const url = new URL(pub.body.items[0].url, "http://x");
  return { g, fileId, item, link: `${url.pathname}${url.search}` };
}
const open = async (link: string) => (await h.anon.fetch("GET", link)).status;

describe("a gallery's signed item links", () => {
  test("stop working when the gallery goes private, and work again when it is shared again", async () => {
    const a = await h.user();
    const { g, link } = await sharedItem(a);
    expect(await open(link)).toBe(200);
    expect((await a.patch(`/v1/galleries/${g.id}`, { visibility: "private" })).status).toBe(200);
    expect(await open(link)).toBe(404);
    expect((await a.patch(`/v1/galleries/${g.id}`, { visibility: "public" })).status).toBe(200);
    expect(await open(link)).toBe(200);
  });

  test("stop working when the gallery is deleted, expires, or drops the file", async () => {
    const a = await h.user();
    const deleted = await sharedItem(a);
    expect((await a.del(`/v1/galleries/${deleted.g.id}`)).status).toBe(204);
    expect(await open(deleted.link)).toBe(404);

    const expiring = await sharedItem(a);
    await h.services.db.primary.execute(
      `update galleries set expires_at = now() - interval '1 second' where id = '${expiring.g.id}'` as never,
    );
    expect(await open(expiring.link)).toBe(404);

    const dropped = await sharedItem(a);
    expect(await open(dropped.link)).toBe(200);
    expect((await a.del(`/v1/galleries/${dropped.g.id}/items/${dropped.item.id}`)).status).toBe(204);
    expect(await open(dropped.link)).toBe(404);
  });

  test("the gallery cannot be cut out of the link, and the owner's own links are unaffected", async () => {
    const a = await h.user();
    const { g, fileId, link } = await sharedItem(a);
    expect(await open(link.replace(/&g=[^&]+/, ""))).toBe(403);
    const own = await a.post(`/v1/files/${fileId}/url`, {});
    expect(own.status).toBe(201);
    await a.patch(`/v1/galleries/${g.id}`, { visibility: "private" });
    const url = new URL(own.body.url, "http://x");
    expect(await open(`${url.pathname}${url.search}`)).toBe(200);
  });
});
