import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Client, createHarness, expectValidationError, type Harness } from "../../test/harness";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

interface Tag {
  id: string;
  name: string;
  entryCount: number;
  createdAt: string;
}

const tagList = async (u: Client): Promise<Tag[]> => {
  const res = await u.get("/v1/tags");
  expect(res.status).toBe(200);
  return res.body.items;
};
const tagNamed = async (u: Client, name: string) => {
  const tag = (await tagList(u)).find((t) => t.name === name);
  if (!tag) throw new Error(`no tag named ${name}`);
  return tag;
};
const counts = async (u: Client) => Object.fromEntries((await tagList(u)).map((t) => [t.name, t.entryCount]));
const entryTags = async (u: Client, id: string) => (await u.get(`/v1/entries/${id}`)).body.tags;

describe("tags", () => {
  test("the list shows every tag once, by name ignoring case, with how many live entries carry it", async () => {
    const u = await h.user();
    await u.post("/v1/entries", { title: "one", tags: ["run", "Bike"] });
    await u.post("/v1/entries", { title: "two", tags: ["bike", "apple"] });
    const trashed = await u.post("/v1/entries", { title: "three", tags: ["run"] });
    expect((await u.del(`/v1/entries/${trashed.body.id}`)).status).toBe(204);
    const items = await tagList(u);
    expect(items.map((t) => [t.name, t.entryCount])).toEqual([
      ["apple", 1],
      ["Bike", 2],
      ["run", 1], // the trashed entry does not count
    ]);
    for (const t of items)
      expect(t).toEqual({ id: expect.any(String), name: t.name, entryCount: t.entryCount, createdAt: expect.any(String) });
  });

  test("rename changes the name everywhere the tag shows, including its case", async () => {
    const u = await h.user();
    const entry = await u.post("/v1/entries", { title: "ride", tags: ["bike"] });
    const tag = await tagNamed(u, "bike");
    const res = await u.patch(`/v1/tags/${tag.id}`, { name: "  Cycling  " });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: tag.id, name: "Cycling", entryCount: 1 });
    expect(await entryTags(u, entry.body.id)).toEqual(["Cycling"]);
    expect((await u.get("/v1/entries?tag=cycling")).body.items.map((e: { id: string }) => e.id)).toEqual([entry.body.id]);
    const recased = await u.patch(`/v1/tags/${tag.id}`, { name: "CYCLING" });
    expect(recased.status).toBe(200);
    expect(await counts(u)).toEqual({ CYCLING: 1 });
  });

  test("renaming onto another tag's name, in any case, is a 409 and changes nothing", async () => {
    const u = await h.user();
    await u.post("/v1/entries", { title: "x", tags: ["bike", "bicycle"] });
    const bicycle = await tagNamed(u, "bicycle");
    const res = await u.patch(`/v1/tags/${bicycle.id}`, { name: "BIKE" });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe("CONFLICT");
    expect(await counts(u)).toEqual({ bicycle: 1, bike: 1 });
  });

  test("merge moves every entry to the surviving tag, once, and deletes the merged one", async () => {
    const u = await h.user();
    const e1 = (await u.post("/v1/entries", { title: "e1", tags: ["bike"] })).body.id;
    const e2 = (await u.post("/v1/entries", { title: "e2", tags: ["bike", "bicycle"] })).body.id;
    const e3 = (await u.post("/v1/entries", { title: "e3", tags: ["bicycle", "run"] })).body.id;
    const bike = await tagNamed(u, "bike");
    const bicycle = await tagNamed(u, "bicycle");
    const res = await u.post(`/v1/tags/${bicycle.id}/merge`, { into: bike.id });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: bike.id, name: "bike", entryCount: 3 });
    expect(await counts(u)).toEqual({ bike: 3, run: 1 });
    expect(await entryTags(u, e1)).toEqual(["bike"]);
    expect(await entryTags(u, e2)).toEqual(["bike"]);
    expect(await entryTags(u, e3)).toEqual(["bike", "run"]);
    expect((await u.patch(`/v1/tags/${bicycle.id}`, { name: "gone" })).status).toBe(404);
  });

  test("delete removes the tag from its entries, which stay", async () => {
    const u = await h.user();
    const entry = (await u.post("/v1/entries", { title: "kept", tags: ["temp", "keep"] })).body.id;
    const temp = await tagNamed(u, "temp");
    expect((await u.del(`/v1/tags/${temp.id}`)).status).toBe(204);
    expect(await counts(u)).toEqual({ keep: 1 });
    expect(await entryTags(u, entry)).toEqual(["keep"]);
    expect((await u.get("/v1/entries?tag=temp")).body.items).toEqual([]);
    expect((await u.del(`/v1/tags/${temp.id}`)).status).toBe(404);
  });

  test("validation errors are 400 envelopes and change nothing", async () => {
    const u = await h.user();
    await u.post("/v1/entries", { title: "x", tags: ["bike", "run"] });
    const bike = await tagNamed(u, "bike");
    for (const body of [
      {},
      { name: "" },
      { name: "   " },
      { name: "a".repeat(65) },
      { name: "a\u0000b" },
      { name: 5 },
      { name: "ok", extra: 1 },
    ]) {
      expectValidationError(await u.patch(`/v1/tags/${bike.id}`, body));
    }
    for (const body of [{}, { into: "not-a-uuid" }, { into: bike.id, extra: 1 }]) {
      expectValidationError(await u.post(`/v1/tags/${bike.id}/merge`, body));
    }
    const self = await u.post(`/v1/tags/${bike.id}/merge`, { into: bike.id });
    expectValidationError(self);
    expectValidationError(await u.patch("/v1/tags/not-a-uuid", { name: "x" }));
    expectValidationError(await u.del("/v1/tags/not-a-uuid"));
    expect(await counts(u)).toEqual({ bike: 1, run: 1 });
  });

  test("an unknown tag id is 404 for rename, merge and delete", async () => {
    const u = await h.user();
    await u.post("/v1/entries", { title: "x", tags: ["bike"] });
    const bike = await tagNamed(u, "bike");
    const missing = crypto.randomUUID();
    for (const res of [
      await u.patch(`/v1/tags/${missing}`, { name: "x" }),
      await u.post(`/v1/tags/${missing}/merge`, { into: bike.id }),
      await u.post(`/v1/tags/${bike.id}/merge`, { into: missing }),
      await u.del(`/v1/tags/${missing}`),
    ]) {
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe("NOT_FOUND");
    }
    expect(await counts(u)).toEqual({ bike: 1 });
  });

  test("another user's tag is 404 to rename, merge either way, and delete; it never shows in their list", async () => {
    const a = await h.user();
    const b = await h.user();
    const aEntry = (await a.post("/v1/entries", { title: "a", tags: ["secret", "other"] })).body.id;
    await b.post("/v1/entries", { title: "b", tags: ["mine"] });
    const secret = await tagNamed(a, "secret");
    const other = await tagNamed(a, "other");
    const mine = await tagNamed(b, "mine");
    for (const res of [
      await b.patch(`/v1/tags/${secret.id}`, { name: "stolen" }),
      await b.post(`/v1/tags/${secret.id}/merge`, { into: mine.id }), // A's tag into B's
      await b.post(`/v1/tags/${mine.id}/merge`, { into: secret.id }), // B's own tag into A's
      await b.post(`/v1/tags/${secret.id}/merge`, { into: other.id }), // both A's
      await b.del(`/v1/tags/${secret.id}`),
    ]) {
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe("NOT_FOUND");
    }
    expect(await tagList(b)).toEqual([expect.objectContaining({ id: mine.id, name: "mine", entryCount: 1 })]);
    expect(await counts(a)).toEqual({ other: 1, secret: 1 });
    expect(await entryTags(a, aEntry)).toEqual(["other", "secret"]);
  });

  test("API keys need tags:read to list and tags:write to change", async () => {
    const u = await h.user();
    await u.post("/v1/entries", { title: "x", tags: ["bike"] });
    const bike = await tagNamed(u, "bike");
    const keyWith = async (scopes: string[]) => u.withToken((await u.post("/v1/api-keys", { name: "k", scopes })).body.key);
    const entriesOnly = await keyWith(["entries:read"]);
    const denied = await entriesOnly.get("/v1/tags");
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe("FORBIDDEN");
    const reader = await keyWith(["tags:read"]);
    expect((await reader.get("/v1/tags")).body.items.map((t: Tag) => t.name)).toEqual(["bike"]);
    expect((await reader.patch(`/v1/tags/${bike.id}`, { name: "x" })).status).toBe(403);
    expect((await reader.del(`/v1/tags/${bike.id}`)).status).toBe(403);
    expect(await counts(u)).toEqual({ bike: 1 });
  });
});
