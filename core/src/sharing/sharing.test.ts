import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Client, createHarness, expectValidationError, type Harness } from "../../test/harness";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

const share = (owner: Client, resourceType: string, resourceId: string, grantee: Client, permission = "read") =>
  owner.post("/v1/shares", { resourceType, resourceId, permission, grantee: { email: grantee.info.email } });

async function trio() {
  return { a: await h.user("owner"), b: await h.user("grantee"), c: await h.user("stranger") };
}

const uploadFile = async (u: Client, text: string) =>
  (await (await u.fetch("PUT", "/v1/files?name=note.txt", new TextEncoder().encode(text), { "content-type": "text/plain" })).json())
    .id as string;

describe("sharing an entry", () => {
  test("read-only: the grantee reads it and lists it; writes are refused; a third user sees nothing", async () => {
    const { a, b, c } = await trio();
    const entry = (await a.post("/v1/entries", { title: "Tent notes", content: "Two-person, 1.2 kg", tags: ["camp"] })).body;
    const made = await share(a, "entry", entry.id, b);
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({
      resourceType: "entry",
      resourceId: entry.id,
      permission: "read",
      grantee: { id: b.info.id, email: b.info.email },
    });

    const got = await b.get(`/v1/shared/entries/${entry.id}`);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({
      id: entry.id,
      title: "Tent notes",
      tags: ["camp"],
      permission: "read",
      sharedBy: { id: a.info.id, email: a.info.email },
    });
    const list = await b.get("/v1/shared");
    expect(list.body.items).toEqual([
      expect.objectContaining({
        shareId: made.body.id,
        resourceType: "entry",
        resourceId: entry.id,
        title: "Tent notes",
        permission: "read",
      }),
    ]);

    // Writes: 403 on the shared route; the owner's routes do not know the grantee at all.
    expect((await b.patch(`/v1/shared/entries/${entry.id}`, { title: "mine now" })).status).toBe(403);
    expect((await b.patch(`/v1/entries/${entry.id}`, { title: "mine now" })).status).toBe(404);
    expect((await b.del(`/v1/entries/${entry.id}`)).status).toBe(404);
    expect((await b.del(`/v1/entries/${entry.id}?purge=true`)).status).toBe(404);
    expect((await b.get(`/v1/entries/${entry.id}`)).status).toBe(404);
    // No re-sharing: only the owner shares.
    expect((await share(b, "entry", entry.id, c)).status).toBe(404);

    for (const res of [
      await c.get(`/v1/shared/entries/${entry.id}`),
      await c.patch(`/v1/shared/entries/${entry.id}`, { title: "x" }),
      await c.get(`/v1/shares/${made.body.id}`),
      await c.patch(`/v1/shares/${made.body.id}`, { permission: "edit" }),
      await c.del(`/v1/shares/${made.body.id}`),
      await b.get(`/v1/shares/${made.body.id}`),
      await b.del(`/v1/shares/${made.body.id}`),
    ])
      expect(res.status).toBe(404);
    expect((await c.get("/v1/shared")).body.items).toEqual([]);
    expect((await a.get(`/v1/entries/${entry.id}`)).body).toMatchObject({ title: "Tent notes", deletedAt: null });
  });

  test("edit: the grantee changes text and tags; the owner sees it at once, cached reads included; topic and files stay out of reach", async () => {
    const { a, b } = await trio();
    const entry = (await a.post("/v1/entries", { title: "Draft", content: "v1" })).body;
    expect((await a.get(`/v1/entries/${entry.id}`)).body.title).toBe("Draft"); // now cached for the owner
    await share(a, "entry", entry.id, b, "edit");
    const edited = await b.patch(`/v1/shared/entries/${entry.id}`, { title: "Final", content: "v2", tags: ["done"] });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ title: "Final", content: "v2", tags: ["done"], permission: "edit" });
    expect((await a.get(`/v1/entries/${entry.id}`)).body).toMatchObject({ title: "Final", content: "v2", tags: ["done"] });
    expect((await a.get("/v1/tags")).body.items.map((t: { name: string }) => t.name)).toEqual(["done"]);
    expect((await b.get("/v1/tags")).body.items).toEqual([]);
    expectValidationError(await b.patch(`/v1/shared/entries/${entry.id}`, { topicId: null }));
    expectValidationError(await b.patch(`/v1/shared/entries/${entry.id}`, { fileIds: [] }));
    expectValidationError(await b.patch(`/v1/shared/entries/${entry.id}`, { title: "" }));
    expect((await b.del(`/v1/entries/${entry.id}`)).status).toBe(404);
  });

  test("revocation is immediate: reads, lists, search and files stop on the next request", async () => {
    const { a, b } = await trio();
    const fileId = await uploadFile(a, `attachment ${Date.now()}`);
    const entry = (await a.post("/v1/entries", { title: "Quokka census", content: "seventeen quokkas", fileIds: [fileId] })).body;
    const made = await share(a, "entry", entry.id, b, "edit");
    expect((await b.get(`/v1/shared/entries/${entry.id}`)).status).toBe(200);
    expect((await b.get("/v1/search?q=quokka&include=shared")).body.items.map((i: { entry: { id: string } }) => i.entry.id)).toEqual([
      entry.id,
    ]);
    expect((await b.fetch("GET", `/v1/shared/files/${fileId}/content`)).status).toBe(200);

    expect((await a.del(`/v1/shares/${made.body.id}`)).status).toBe(204);
    expect((await b.get(`/v1/shared/entries/${entry.id}`)).status).toBe(404);
    expect((await b.patch(`/v1/shared/entries/${entry.id}`, { title: "late" })).status).toBe(404);
    expect((await b.get("/v1/shared")).body.items).toEqual([]);
    expect((await b.get("/v1/search?q=quokka&include=shared")).body.items).toEqual([]);
    expect((await b.fetch("GET", `/v1/shared/files/${fileId}/content`)).status).toBe(404);
    expect((await a.del(`/v1/shares/${made.body.id}`)).status).toBe(404);
    expect((await a.get(`/v1/entries/${entry.id}`)).body.title).toBe("Quokka census");
  });

  test("downgrading edit to read takes effect at once", async () => {
    const { a, b } = await trio();
    const entry = (await a.post("/v1/entries", { title: "Budget" })).body;
    const made = await share(a, "entry", entry.id, b, "edit");
    expect((await b.patch(`/v1/shared/entries/${entry.id}`, { content: "ok" })).status).toBe(200);
    const down = await a.patch(`/v1/shares/${made.body.id}`, { permission: "read" });
    expect(down.status).toBe(200);
    expect(down.body.permission).toBe("read");
    expect((await b.patch(`/v1/shared/entries/${entry.id}`, { content: "no" })).status).toBe(403);
    expect((await b.get(`/v1/shared/entries/${entry.id}`)).body).toMatchObject({ content: "ok", permission: "read" });
  });

  test("trashing the entry hides it from the grantee; restoring brings it back", async () => {
    const { a, b } = await trio();
    const entry = (await a.post("/v1/entries", { title: "Comes and goes" })).body;
    await share(a, "entry", entry.id, b);
    await a.del(`/v1/entries/${entry.id}`);
    expect((await b.get(`/v1/shared/entries/${entry.id}`)).status).toBe(404);
    expect((await b.get("/v1/shared")).body.items).toEqual([]);
    await a.post(`/v1/entries/${entry.id}/restore`);
    expect((await b.get(`/v1/shared/entries/${entry.id}`)).status).toBe(200);
  });
});

describe("sharing a topic", () => {
  test("covers every live entry in it, later ones too; moving an entry out removes it", async () => {
    const { a, b, c } = await trio();
    const topic = (await a.post("/v1/topics", { name: "Garden", description: "beds and seeds" })).body;
    const e1 = (await a.post("/v1/entries", { title: "Tomatoes", topicId: topic.id })).body;
    const other = (await a.post("/v1/entries", { title: "Private diary" })).body;
    expect((await share(a, "topic", topic.id, b)).status).toBe(201);
    const e2 = (await a.post("/v1/entries", { title: "Beans", topicId: topic.id })).body;

    expect((await b.get(`/v1/shared/topics/${topic.id}`)).body).toMatchObject({ name: "Garden", entryCount: 2, permission: "read" });
    const listed = await b.get(`/v1/shared/topics/${topic.id}/entries?limit=1`);
    expect(listed.body.items).toHaveLength(1);
    const next = await b.get(`/v1/shared/topics/${topic.id}/entries?limit=1&cursor=${listed.body.nextCursor}`);
    expect([...listed.body.items, ...next.body.items].map((x: { id: string }) => x.id).sort()).toEqual([e1.id, e2.id].sort());
    expect((await b.get(`/v1/shared/entries/${e2.id}`)).status).toBe(200);
    expect((await b.get(`/v1/shared/entries/${other.id}`)).status).toBe(404);
    expect((await b.patch(`/v1/shared/topics/${topic.id}`, { name: "Mine" })).status).toBe(403);
    expect((await b.patch(`/v1/shared/entries/${e1.id}`, { title: "x" })).status).toBe(403);
    expect((await b.del(`/v1/topics/${topic.id}`)).status).toBe(404);

    await a.patch(`/v1/entries/${e1.id}`, { topicId: null });
    expect((await b.get(`/v1/shared/entries/${e1.id}`)).status).toBe(404);
    for (const path of [`/v1/shared/topics/${topic.id}`, `/v1/shared/topics/${topic.id}/entries`, `/v1/shared/entries/${e2.id}`])
      expect((await c.get(path)).status).toBe(404);
  });

  test("edit on a topic lets the grantee rename it and edit its entries, not delete them", async () => {
    const { a, b } = await trio();
    const topic = (await a.post("/v1/topics", { name: "Trip" })).body;
    const entry = (await a.post("/v1/entries", { title: "Day 1", topicId: topic.id })).body;
    await share(a, "topic", topic.id, b, "edit");
    const renamed = await b.patch(`/v1/shared/topics/${topic.id}`, { name: "Trip 2026" });
    expect(renamed.status).toBe(200);
    expect((await a.get(`/v1/topics/${topic.id}`)).body.name).toBe("Trip 2026");
    expect((await b.patch(`/v1/shared/entries/${entry.id}`, { content: "rain" })).status).toBe(200);
    expect((await a.get(`/v1/entries/${entry.id}`)).body.content).toBe("rain");
    expectValidationError(await b.patch(`/v1/shared/topics/${topic.id}`, { name: "" }));
    expect((await b.del(`/v1/entries/${entry.id}`)).status).toBe(404);
  });
});

describe("sharing a gallery", () => {
  test("the grantee sees its items and downloads their bytes; edit changes the title only; revocation ends it", async () => {
    const { a, b, c } = await trio();
    const text = `gallery bytes ${Date.now()}`;
    const fileId = await uploadFile(a, text);
    const gallery = (await a.post("/v1/galleries", { title: "Holiday" })).body;
    expect((await a.post(`/v1/galleries/${gallery.id}/items`, { fileId, caption: "beach" })).status).toBe(201);
    const made = await share(a, "gallery", gallery.id, b, "edit");
    const got = await b.get(`/v1/shared/galleries/${gallery.id}`);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({
      title: "Holiday",
      permission: "edit",
      items: [expect.objectContaining({ fileId, caption: "beach" })],
    });
    expect(got.body.slug).toBeUndefined();
    const dl = await b.fetch("GET", `/v1/shared/files/${fileId}/content`);
    expect(dl.status).toBe(200);
    expect(await dl.text()).toBe(text);
    expect((await c.fetch("GET", `/v1/shared/files/${fileId}/content`)).status).toBe(404);
    expect((await c.get(`/v1/shared/galleries/${gallery.id}`)).status).toBe(404);

    expect((await b.patch(`/v1/shared/galleries/${gallery.id}`, { title: "Holiday 2026" })).body.title).toBe("Holiday 2026");
    expectValidationError(await b.patch(`/v1/shared/galleries/${gallery.id}`, { visibility: "public" }));
    expect((await a.get(`/v1/galleries/${gallery.id}`)).body).toMatchObject({ title: "Holiday 2026", visibility: "private" });
    expect((await b.del(`/v1/galleries/${gallery.id}`)).status).toBe(404);
    expect((await b.post(`/v1/galleries/${gallery.id}/items`, { fileId })).status).toBe(404);

    await a.del(`/v1/shares/${made.body.id}`);
    expect((await b.get(`/v1/shared/galleries/${gallery.id}`)).status).toBe(404);
    expect((await b.fetch("GET", `/v1/shared/files/${fileId}/content`)).status).toBe(404);
  });
});

describe("managing shares", () => {
  test("the owner lists grants, by object too; sharing again sets the permission instead of adding a grant", async () => {
    const { a, b, c } = await trio();
    const entry = (await a.post("/v1/entries", { title: "One" })).body;
    const topic = (await a.post("/v1/topics", { name: "T" })).body;
    const s1 = (await share(a, "entry", entry.id, b)).body;
    const again = await a.post("/v1/shares", {
      resourceType: "entry",
      resourceId: entry.id,
      permission: "edit",
      grantee: { userId: b.info.id },
    });
    expect(again.status).toBe(201);
    expect(again.body).toMatchObject({ id: s1.id, permission: "edit" });
    await share(a, "topic", topic.id, c);
    expect((await a.get("/v1/shares")).body.items).toHaveLength(2);
    const one = await a.get(`/v1/shares?resourceType=entry&resourceId=${entry.id}`);
    expect(one.body.items).toEqual([
      expect.objectContaining({ id: s1.id, permission: "edit", grantee: expect.objectContaining({ id: b.info.id }) }),
    ]);
    expect((await b.get("/v1/shares")).body.items).toEqual([]);
    const page1 = await a.get("/v1/shares?limit=1");
    expect(page1.body.items).toHaveLength(1);
    expect((await a.get(`/v1/shares?limit=1&cursor=${page1.body.nextCursor}`)).body.items).toHaveLength(1);
    expect((await b.get("/v1/shared?type=topic")).body.items).toEqual([]);
    expect((await c.get("/v1/shared?type=topic")).body.items).toHaveLength(1);
    // Both sides' audit logs record it; the owner's event does not name the grantee.
    const actions = async (u: Client) => (await u.get("/v1/me/audit")).body.items.map((e: { action: string }) => e.action);
    expect(await actions(a)).toContain("share.grant");
    expect(await actions(b)).toContain("share.grant_received");
    const own = (await a.get("/v1/me/audit")).body.items.find((e: { action: string }) => e.action === "share.grant");
    expect(JSON.stringify(own)).not.toContain(b.info.id);
  });

  test("parallel grants of one object to one user leave one grant", async () => {
    const { a, b } = await trio();
    const entry = (await a.post("/v1/entries", { title: "Race" })).body;
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => share(a, "entry", entry.id, b, i % 2 ? "edit" : "read")));
    expect(results.every((r) => r.status === 201)).toBe(true);
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    expect((await a.get("/v1/shares")).body.items).toHaveLength(1);
  });

  test("bad input: validation errors, unknown people and objects are 404, yourself is 400, API keys are refused", async () => {
    const { a, b } = await trio();
    const entry = (await a.post("/v1/entries", { title: "Mine" })).body;
    expectValidationError(await a.post("/v1/shares", { resourceType: "file", resourceId: entry.id, grantee: { email: b.info.email } }));
    expectValidationError(await a.post("/v1/shares", { resourceType: "entry", resourceId: "nope", grantee: { email: b.info.email } }));
    expectValidationError(await a.post("/v1/shares", { resourceType: "entry", resourceId: entry.id, grantee: {} }));
    expectValidationError(
      await a.post("/v1/shares", { resourceType: "entry", resourceId: entry.id, grantee: { email: b.info.email, userId: b.info.id } }),
    );
    expectValidationError(
      await a.post("/v1/shares", { resourceType: "entry", resourceId: entry.id, permission: "owner", grantee: { userId: b.info.id } }),
    );
    expectValidationError(await share(a, "entry", entry.id, a));
    expectValidationError(await a.get("/v1/shared?type=file"));
    expectValidationError(await a.get("/v1/shared?cursor=garbage"));
    expectValidationError(await a.patch(`/v1/shares/${crypto.randomUUID()}`, { permission: "all" }));
    const nobody = await a.post("/v1/shares", { resourceType: "entry", resourceId: entry.id, grantee: { email: "nobody@example.test" } });
    expect(nobody.status).toBe(404);
    expect((await share(a, "topic", entry.id, b)).status).toBe(404);
    expect((await share(a, "gallery", crypto.randomUUID(), b)).status).toBe(404);
    expect((await a.get(`/v1/shared/entries/${crypto.randomUUID()}`)).status).toBe(404);
    const key = (await a.post("/v1/api-keys", { name: "k", scopes: ["entries:read", "entries:write"] })).body.key;
    expect(
      (await a.withToken(key).post("/v1/shares", { resourceType: "entry", resourceId: entry.id, grantee: { userId: b.info.id } })).status,
    ).toBe(403);
    expect((await a.get("/v1/shares")).body.items).toEqual([]);
  });
});

describe("search with include=shared", () => {
  test("finds shared entries only when asked, marks them, and never shows a stranger's", async () => {
    const { a, b, c } = await trio();
    const word = `wombat${Date.now().toString(36)}`;
    const entry = (await a.post("/v1/entries", { title: `A ${word} sighting`, tags: ["zoo"] })).body;
    const own = (await b.post("/v1/entries", { title: `My ${word}` })).body;
    await share(a, "entry", entry.id, b);
    const ids = (res: { body: { items: { entry: { id: string } }[] } }) => res.body.items.map((i) => i.entry.id).sort();
    expect(ids(await b.get(`/v1/search?q=${word}`))).toEqual([own.id]);
    const both = await b.get(`/v1/search?q=${word}&include=shared`);
    expect(ids(both)).toEqual([entry.id, own.id].sort());
    expect(both.body.items.find((i: { entry: { id: string } }) => i.entry.id === entry.id).sharedBy).toBe(a.info.id);
    expect(both.body.items.find((i: { entry: { id: string } }) => i.entry.id === own.id).sharedBy).toBeUndefined();
    expect(ids(await b.get(`/v1/search?q=${word}&include=shared&tag=zoo`))).toEqual([entry.id]);
    expect(ids(await b.get(`/v1/search?q=${word}&include=shared&mode=hybrid`))).toEqual([entry.id, own.id].sort());
    expect(ids(await c.get(`/v1/search?q=${word}&include=shared`))).toEqual([]);
    expectValidationError(await b.get(`/v1/search?q=${word}&include=everything`));
  });
});
