import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { schema } from "@tcc/db";
import { strToU8, zipSync } from "fflate";
import { exportArchive, jsonOf } from "../../test/export-archive";
import { type Client, createHarness, expectValidationError, type Harness } from "../../test/harness";
import { png } from "../../test/png";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

const importZip = (u: Client, zip: Uint8Array) => u.fetch("POST", "/v1/me/import", zip, { "content-type": "application/zip" });

/** An export's content without ids, owners or storage details: what must survive a round trip. */
function normalise(files: Record<string, Uint8Array>) {
  const fileList: any[] = jsonOf(files, "files.json");
  const sha = new Map(fileList.map((f) => [f.id, f.sha256]));
  const topics: any[] = jsonOf(files, "topics.json");
  const topicName = new Map(topics.map((t) => [t.id, t.name]));
  const entries: any[] = jsonOf(files, "entries.json");
  const entryTitle = new Map(entries.map((e) => [e.id, e.title]));
  const byKey = (a: any, b: any) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1);
  return {
    entries: entries
      .map((e) => ({
        title: e.title,
        content: e.content,
        tags: e.tags,
        topic: e.topicId ? topicName.get(e.topicId) : null,
        occurredAt: e.occurredAt,
        createdAt: e.createdAt,
        trashed: e.deletedAt !== null,
        files: e.fileIds.map((id: string) => sha.get(id)),
      }))
      .sort(byKey),
    topics: topics.map((t) => ({ name: t.name, description: t.description })).sort(byKey),
    links: jsonOf(files, "links.json")
      .map((l: any) => ({ url: l.url, title: l.title, description: l.description, entry: l.entryId ? entryTitle.get(l.entryId) : null }))
      .sort(byKey),
    files: fileList
      .filter((f) => !f.deletedAt)
      .map((f) => ({ sha256: f.sha256, mime: f.mime, size: f.size, name: f.originalName, bytes: f.path ? files[f.path]?.length : null }))
      .sort(byKey),
    galleries: jsonOf(files, "galleries.json").map((g: any) => ({
      title: g.title,
      description: g.description,
      visibility: g.visibility,
      items: g.items.map((i: any) => ({ caption: i.caption, position: i.position, file: sha.get(i.fileId) })),
    })),
    conversations: jsonOf(files, "conversations.json").map((c: any) => ({
      title: c.title,
      messages: c.messages.map((m: any) => ({ role: m.role, content: m.content, createdAt: m.createdAt })),
    })),
    consents: jsonOf(files, "consents.json").map((c: any) => ({ type: c.type, granted: c.granted, at: c.at })),
  };
}

async function populate(u: Client) {
  const text = await (
    await u.fetch("PUT", "/v1/files?name=notes.txt", strToU8(`notes ${Date.now()}`), { "content-type": "text/plain" })
  ).json();
  const image = await (await u.fetch("PUT", "/v1/files?name=red.png", png(24, 16, [220, 30, 30]), { "content-type": "image/png" })).json();
  const topic = (await u.post("/v1/topics", { name: "Garden", description: "beds" })).body;
  const e1 = (
    await u.post("/v1/entries", {
      title: "Tomatoes",
      content: "Planted **six**.",
      tags: ["garden", "Food"],
      topicId: topic.id,
      fileIds: [text.id],
      occurredAt: "2026-04-01T08:00:00Z",
    })
  ).body;
  await u.post("/v1/entries", { title: "Plain", content: "" });
  const trashed = (await u.post("/v1/entries", { title: "Trashed one", tags: ["old"] })).body;
  await u.del(`/v1/entries/${trashed.id}`);
  await u.post("/v1/links", { url: "https://example.com/seeds", title: "Seeds", entryId: e1.id });
  await u.post("/v1/links", { url: "https://example.com/other" });
  const gallery = (await u.post("/v1/galleries", { title: "Harvest", description: "2026" })).body;
  await u.post(`/v1/galleries/${gallery.id}/items`, { fileId: image.id, caption: "first" });
  await u.post(`/v1/galleries/${gallery.id}/items`, { fileId: text.id, caption: null });
  const [conv] = await h.services.db.primary.insert(schema.conversations).values({ userId: u.info.id, title: "Planning" }).returning();
  await h.services.db.primary.insert(schema.messages).values([
    { userId: u.info.id, conversationId: conv!.id, role: "user", content: "When to plant?", createdAt: new Date("2026-04-02T10:00:00Z") },
    {
      userId: u.info.id,
      conversationId: conv!.id,
      role: "assistant",
      content: "In April [1].",
      citations: [{ entryId: e1.id }],
      createdAt: new Date("2026-04-02T10:00:01Z"),
    },
  ]);
  await u.post("/v1/me/consents", { type: "analytics", granted: true });
  await u.post("/v1/me/consents", { type: "analytics", granted: false });
}

describe("POST /v1/me/import", () => {
  test("round trip: export, erase, import into a new account, export again: the same content", async () => {
    const a = await h.user("original");
    await populate(a);
    const before = await exportArchive(h, a);
    expect((await a.request("DELETE", "/v1/me", { password: a.info.password })).status).toBe(200);

    const b = await h.user("restored");
    const res = await importZip(b, before.zip);
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ entries: 3, topics: 1, links: 2, files: 2, galleries: 1, conversations: 1, consents: 2 });
    await h.services.jobs.drain("images");
    const after = await exportArchive(h, b);
    expect(normalise(after.files)).toEqual(normalise(before.files));
    // The imported objects work through the API like any others.
    const tomatoes = (await b.get("/v1/entries?tag=garden")).body.items;
    expect(tomatoes).toHaveLength(1);
    expect((await b.get(`/v1/files/${tomatoes[0].fileIds[0]}/content`)).status).toBe(200);
    expect((await b.get("/v1/entries?deleted=true")).body.items.map((e: { title: string }) => e.title)).toEqual(["Trashed one"]);
    expect((await b.get("/v1/me/audit")).body.items.map((e: { action: string }) => e.action)).toContain("privacy.imported");
  }, 120_000);

  test("importing into an account that has data adds to it; topics of the same name are merged", async () => {
    const a = await h.user();
    await a.post("/v1/topics", { name: "Garden" });
    await a.post("/v1/entries", { title: "Pre-existing" });
    const src = await h.user();
    const t = (await src.post("/v1/topics", { name: "garden" })).body;
    await src.post("/v1/entries", { title: "Imported", topicId: t.id });
    const { zip } = await exportArchive(h, src);
    expect((await importZip(a, zip)).status).toBe(201);
    expect((await a.get("/v1/topics")).body.items).toEqual([expect.objectContaining({ name: "Garden", entryCount: 1 })]);
    expect((await a.get("/v1/entries")).body.items.map((e: { title: string }) => e.title).sort()).toEqual(["Imported", "Pre-existing"]);
    expect((await src.get("/v1/entries")).body.items).toHaveLength(1); // the source account is untouched
  }, 60_000);

  test("bad archives are 400 and store nothing; API keys get 403; no token 401", async () => {
    const u = await h.user();
    const count = async () => (await u.get("/v1/entries")).body.items.length;
    const manifest = strToU8(JSON.stringify({ format: "tcc-log-export", version: 1 }));
    const empty = { "entries.json": strToU8("[]"), "topics.json": strToU8("[]"), "links.json": strToU8("[]"), "files.json": strToU8("[]") };
    const rest = { "galleries.json": strToU8("[]"), "conversations.json": strToU8("[]"), "consents.json": strToU8("[]") };
    const entry = (title: string) => ({
      id: crypto.randomUUID(),
      title,
      content: "",
      topicId: null,
      tags: [],
      fileIds: [],
      occurredAt: "2026-01-01T00:00:00Z",
      createdAt: "2026-01-01T00:00:00Z",
      updatedAt: "2026-01-01T00:00:00Z",
      deletedAt: null,
    });
    const bad = async (zip: Uint8Array) => {
      const res = await importZip(u, zip);
      expectValidationError({ status: res.status, body: await res.json(), headers: res.headers });
    };
    await bad(strToU8("not a zip at all"));
    await bad(zipSync({ "hello.txt": strToU8("hi") }));
    await bad(zipSync({ "manifest.json": strToU8(JSON.stringify({ format: "tcc-log-export", version: 2 })), ...empty, ...rest }));
    await bad(zipSync({ "manifest.json": manifest, ...empty, ...rest, "entries.json": strToU8("{not json") }));
    await bad(
      zipSync({
        "manifest.json": manifest,
        ...empty,
        ...rest,
        "entries.json": strToU8(JSON.stringify([entry("ok"), entry("x".repeat(501))])),
      }),
    );
    await bad(
      zipSync({
        "manifest.json": manifest,
        ...empty,
        ...rest,
        "consents.json": strToU8(JSON.stringify([{ type: "nope", granted: true, at: "2026-01-01T00:00:00Z" }])),
      }),
    );
    const missingBytes = [{ id: crypto.randomUUID(), path: "files/x", sha256: "a".repeat(64), mime: "text/plain", originalName: null }];
    await bad(zipSync({ "manifest.json": manifest, ...empty, ...rest, "files.json": strToU8(JSON.stringify(missingBytes)) }));
    expect(await count()).toBe(0);

    const good = zipSync({ "manifest.json": manifest, ...empty, ...rest, "entries.json": strToU8(JSON.stringify([entry("fine")])) });
    const key = (await u.post("/v1/api-keys", { name: "k", scopes: ["entries:write", "files:write"] })).body.key;
    expect((await u.withToken(key).fetch("POST", "/v1/me/import", good, { "content-type": "application/zip" })).status).toBe(403);
    expect((await h.anon.fetch("POST", "/v1/me/import", good, { "content-type": "application/zip" })).status).toBe(401);
    expect(await count()).toBe(0);
    expect((await importZip(u, good)).status).toBe(201);
    expect(await count()).toBe(1);
  }, 60_000);
});
