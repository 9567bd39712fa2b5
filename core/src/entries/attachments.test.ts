import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Client, createHarness, type Harness } from "../../test/harness";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

let n = 0;
/** Uploads distinct bytes (so dedupe never joins tests) and returns the file id. */
async function upload(u: Client, label = "note"): Promise<string> {
  const res = await u.fetch("PUT", `/v1/files?name=${label}.txt`, `${label} ${Date.now()} ${process.pid} ${++n}\n`, {
    "content-type": "text/plain",
  });
  expect(res.status).toBe(201);
  return (await res.json()).id;
}

async function entry(u: Client, body: Record<string, unknown> = {}): Promise<{ id: string; fileIds: string[]; updatedAt: string }> {
  const res = await u.post("/v1/entries", { title: "with files", ...body });
  expect(res.status).toBe(201);
  return res.body;
}

const attach = (u: Client, entryId: string, fileId: string) => u.post(`/v1/entries/${entryId}/files`, { fileId });
const download = (u: Client, fileId: string) => u.fetch("GET", `/v1/files/${fileId}/content`).then((r) => r.status);
const listedFor = async (u: Client, entryId: string) =>
  ((await u.get(`/v1/files?entryId=${entryId}`)).body.items as { id: string }[]).map((f) => f.id);

describe("entry attachments", () => {
  test("attach and detach; the entry lists its files in upload order, everywhere it is read", async () => {
    const a = await h.user();
    const [f1, f2] = [await upload(a, "one"), await upload(a, "two")];
    const made = await entry(a, { content: "findable attachment words" });
    expect(made.fileIds).toEqual([]);

    const second = await attach(a, made.id, f2);
    expect(second.status).toBe(200);
    expect(second.body.fileIds).toEqual([f2]);
    expect((await attach(a, made.id, f1)).body.fileIds).toEqual([f1, f2]);

    expect((await a.get(`/v1/entries/${made.id}`)).body.fileIds).toEqual([f1, f2]);
    expect((await a.get("/v1/entries")).body.items[0].fileIds).toEqual([f1, f2]);
    const hits = (await a.get("/v1/search?q=findable")).body.items;
    expect(hits.map((x: { entry: { fileIds: string[] } }) => x.entry.fileIds)).toEqual([[f1, f2]]);
    expect((await listedFor(a, made.id)).sort()).toEqual([f1, f2].sort());

    expect((await a.del(`/v1/entries/${made.id}/files/${f1}`)).status).toBe(204);
    expect((await a.get(`/v1/entries/${made.id}`)).body.fileIds).toEqual([f2]);
    expect(await listedFor(a, made.id)).toEqual([f2]);
    expect(await download(a, f1)).toBe(200); // detached, not deleted
    const again = await a.del(`/v1/entries/${made.id}/files/${f1}`);
    expect(again.status).toBe(404);
    expect(again.body.error.code).toBe("NOT_FOUND");
  });

  test("attaching the same file twice is idempotent: same entry, one link", async () => {
    const a = await h.user();
    const f = await upload(a);
    const { id } = await entry(a);
    const first = await attach(a, id, f);
    const second = await attach(a, id, f);
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    expect(second.body.fileIds).toEqual([f]);
  });

  test("create with fileIds attaches them; PATCH replaces the set; duplicates collapse", async () => {
    const a = await h.user();
    const [f1, f2, f3] = [await upload(a, "a"), await upload(a, "b"), await upload(a, "c")];
    const made = await entry(a, { fileIds: [f2, f1, f2], tags: ["x"] });
    expect(made.fileIds).toEqual([f1, f2]);
    expect((await a.get(`/v1/entries/${made.id}`)).body).toEqual(made);

    const patched = await a.patch(`/v1/entries/${made.id}`, { fileIds: [f3, f2] });
    expect(patched.status).toBe(200);
    expect(patched.body.fileIds).toEqual([f2, f3]);
    expect(patched.body.tags).toEqual(["x"]);
    expect((await a.patch(`/v1/entries/${made.id}`, { title: "renamed" })).body.fileIds).toEqual([f2, f3]); // untouched when absent
    expect((await a.patch(`/v1/entries/${made.id}`, { fileIds: [] })).body.fileIds).toEqual([]);
  });

  test("a missing or deleted file on create or PATCH is 404 and nothing changes", async () => {
    const a = await h.user();
    const f = await upload(a);
    const gone = await upload(a, "gone");
    expect((await a.del(`/v1/files/${gone}`)).status).toBe(204);
    const missing = crypto.randomUUID();
    for (const fileIds of [[f, missing], [gone]]) {
      const res = await a.post("/v1/entries", { title: "never stored", fileIds });
      expect(res.status).toBe(404);
      expect(res.body.error.message).toContain("File");
    }
    expect((await a.get("/v1/entries")).body.items).toEqual([]);

    const { id } = await entry(a, { fileIds: [f] });
    const res = await a.patch(`/v1/entries/${id}`, { title: "changed", fileIds: [missing] });
    expect(res.status).toBe(404);
    expect((await a.get(`/v1/entries/${id}`)).body).toMatchObject({ title: "with files", fileIds: [f] });
    expect((await attach(a, id, gone)).status).toBe(404);
  });

  test("malformed ids are 400", async () => {
    const a = await h.user();
    const f = await upload(a);
    const { id } = await entry(a);
    for (const res of [
      await a.post(`/v1/entries/${id}/files`, { fileId: "not-a-uuid" }),
      await a.post(`/v1/entries/${id}/files`, {}),
      await a.post(`/v1/entries/${id}/files`, { fileId: f, extra: 1 }),
      await a.post("/v1/entries/nope/files", { fileId: f }),
      await a.del(`/v1/entries/${id}/files/not-a-uuid`),
      await a.post("/v1/entries", { title: "t", fileIds: ["nope"] }),
      await a.patch(`/v1/entries/${id}`, { fileIds: "x" }),
      await a.get("/v1/files?entryId=nope"),
    ])
      expect(res.status).toBe(400);
    expect((await a.get(`/v1/entries/${id}`)).body.fileIds).toEqual([]);
  });
});

describe("entry attachments: API key scopes", () => {
  test("attach and detach need entries:write; entries:read sees fileIds", async () => {
    const a = await h.user();
    const f = await upload(a);
    const { id } = await entry(a, { fileIds: [f] });
    const keyWith = async (scopes: string[]) => a.withToken((await a.post("/v1/api-keys", { name: "k", scopes })).body.key);
    const reader = await keyWith(["entries:read"]);
    expect((await attach(reader, id, f)).status).toBe(403);
    expect((await reader.del(`/v1/entries/${id}/files/${f}`)).status).toBe(403);
    expect((await reader.get(`/v1/entries/${id}`)).body.fileIds).toEqual([f]);
    const writer = await keyWith(["entries:write", "entries:read"]);
    expect((await writer.del(`/v1/entries/${id}/files/${f}`)).status).toBe(204);
    expect((await attach(writer, id, f)).body.fileIds).toEqual([f]);
  });
});

describe("entry attachments across users", () => {
  test("B cannot attach A's file, attach to A's entry, detach, or list A's entry's files; A's data is intact", async () => {
    const a = await h.user();
    const b = await h.user();
    const aFile = await upload(a);
    const aEntry = await entry(a, { fileIds: [aFile] });
    const bFile = await upload(b);
    const bEntry = await entry(b);

    for (const res of [
      await attach(b, bEntry.id, aFile),
      await attach(b, aEntry.id, bFile),
      await attach(b, aEntry.id, aFile),
      await b.del(`/v1/entries/${aEntry.id}/files/${aFile}`),
      await b.post("/v1/entries", { title: "steal", fileIds: [aFile] }),
      await b.patch(`/v1/entries/${bEntry.id}`, { fileIds: [aFile] }),
    ])
      expect(res.status).toBe(404);
    expect(await listedFor(b, aEntry.id)).toEqual([]);
    expect((await b.get(`/v1/entries/${bEntry.id}`)).body.fileIds).toEqual([]);
    expect((await b.get("/v1/entries")).body.items.map((x: { id: string }) => x.id)).toEqual([bEntry.id]);

    expect((await a.get(`/v1/entries/${aEntry.id}`)).body).toEqual(aEntry);
    expect(await download(a, aFile)).toBe(200);
    expect(await listedFor(a, aEntry.id)).toEqual([aFile]);
  });
});

describe("entry attachments: what deletion does", () => {
  test("trashing or purging an entry never deletes its files", async () => {
    const a = await h.user();
    const f = await upload(a);
    const { id } = await entry(a, { fileIds: [f] });
    expect((await a.del(`/v1/entries/${id}`)).status).toBe(204);
    expect(await download(a, f)).toBe(200);
    expect((await attach(a, id, f)).status).toBe(404); // a trashed entry takes no attachments
    expect((await a.post(`/v1/entries/${id}/restore`)).body.fileIds).toEqual([f]); // links survive the trash

    expect((await a.del(`/v1/entries/${id}?purge=true`)).status).toBe(204);
    expect(await download(a, f)).toBe(200);
    expect((await a.get(`/v1/files/${f}`)).status).toBe(200);
  });

  test("a file on two entries survives purging one; purging the file drops it from the other", async () => {
    const a = await h.user();
    const [f, keep] = [await upload(a, "shared"), await upload(a, "keep")];
    const one = await entry(a, { fileIds: [f] });
    const two = await entry(a, { fileIds: [f, keep] });
    expect((await a.del(`/v1/entries/${one.id}?purge=true`)).status).toBe(204);
    expect(await download(a, f)).toBe(200);
    expect((await a.get(`/v1/entries/${two.id}`)).body.fileIds).toEqual([f, keep]);

    expect((await a.del(`/v1/files/${f}?purge=true`)).status).toBe(204);
    expect(await download(a, f)).toBe(404);
    expect((await a.get(`/v1/entries/${two.id}`)).body.fileIds).toEqual([keep]);
    expect(await listedFor(a, two.id)).toEqual([keep]);
    expect((await a.del(`/v1/entries/${two.id}/files/${f}`)).status).toBe(404); // the link went with the file
  });

  test("a soft-deleted file is not listed on the entry; uploading the same bytes brings it back", async () => {
    const a = await h.user();
    const bytes = `restorable ${Date.now()} ${++n}`;
    const first = await a.fetch("PUT", "/v1/files", bytes, { "content-type": "text/plain" });
    const f = (await first.json()).id;
    const { id } = await entry(a, { fileIds: [f] });
    expect((await a.del(`/v1/files/${f}`)).status).toBe(204);
    expect((await a.get(`/v1/entries/${id}`)).body.fileIds).toEqual([]);
    expect(await listedFor(a, id)).toEqual([]);
    expect((await a.fetch("PUT", "/v1/files", bytes, { "content-type": "text/plain" })).status).toBe(201);
    expect((await a.get(`/v1/entries/${id}`)).body.fileIds).toEqual([f]);
  });
});
