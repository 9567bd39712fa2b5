import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { schema } from "@tcc/db";
import { eq } from "drizzle-orm";
import { strFromU8 } from "fflate";
import { exportArchive, jsonOf } from "../../test/export-archive";
import { createHarness, expectValidationError, type Harness } from "../../test/harness";
import { dropExpiredExports } from "./export";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

describe("GDPR export", () => {
  test("one zip with profile, entries as JSON and Markdown, tags, topics, links, file bytes, galleries, conversations, consents and audit", async () => {
    const u = await h.user("exporter");
    const bytes = `exported bytes ${Date.now()}`;
    const file = await (
      await u.fetch("PUT", "/v1/files?name=n.txt", new TextEncoder().encode(bytes), { "content-type": "text/plain" })
    ).json();
    const topic = (await u.post("/v1/topics", { name: "Bikes" })).body;
    const entry = (
      await u.post("/v1/entries", { title: "Chain", content: "New *chain*.", tags: ["bike"], topicId: topic.id, fileIds: [file.id] })
    ).body;
    const trashed = (await u.post("/v1/entries", { title: "Old note" })).body;
    await u.del(`/v1/entries/${trashed.id}`);
    await u.post("/v1/links", { url: "https://example.com/chain", entryId: entry.id });
    const gallery = (await u.post("/v1/galleries", { title: "Rides" })).body;
    await u.post(`/v1/galleries/${gallery.id}/items`, { fileId: file.id, caption: "cap" });
    await u.post("/v1/me/consents", { type: "analytics", granted: true });

    const { files, status } = await exportArchive(h, u);
    expect(status).toMatchObject({ status: "ready", size: expect.any(Number), sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(jsonOf(files, "manifest.json")).toMatchObject({ format: "tcc-log-export", version: 1, counts: { entries: 2, files: 1 } });
    expect(jsonOf(files, "profile.json")).toMatchObject({ id: u.info.id, email: u.info.email });
    expect(JSON.stringify(jsonOf(files, "profile.json"))).not.toContain("argon2");
    const entries = jsonOf(files, "entries.json");
    expect(entries).toEqual([
      expect.objectContaining({
        id: entry.id,
        title: "Chain",
        content: "New *chain*.",
        tags: ["bike"],
        topicId: topic.id,
        fileIds: [file.id],
      }),
      expect.objectContaining({ id: trashed.id, deletedAt: expect.any(String) }),
    ]);
    const md = strFromU8(files[`entries/${entry.id}.md`] as Uint8Array);
    expect(md).toContain('title: "Chain"');
    expect(md).toContain('topic: "Bikes"');
    expect(md).toContain("New *chain*.");
    expect(jsonOf(files, "tags.json")).toEqual([expect.objectContaining({ name: "bike" })]);
    expect(jsonOf(files, "topics.json")).toEqual([expect.objectContaining({ id: topic.id, name: "Bikes" })]);
    expect(jsonOf(files, "links.json")).toEqual([expect.objectContaining({ url: "https://example.com/chain", entryId: entry.id })]);
    expect(jsonOf(files, "files.json")).toEqual([expect.objectContaining({ id: file.id, path: `files/${file.id}`, mime: "text/plain" })]);
    expect(JSON.stringify(jsonOf(files, "files.json"))).not.toContain("storageKey");
    expect(strFromU8(files[`files/${file.id}`] as Uint8Array)).toBe(bytes);
    expect(jsonOf(files, "galleries.json")).toEqual([
      expect.objectContaining({ id: gallery.id, title: "Rides", items: [expect.objectContaining({ fileId: file.id, caption: "cap" })] }),
    ]);
    expect(jsonOf(files, "conversations.json")).toEqual([]);
    expect(jsonOf(files, "consents.json")).toEqual([expect.objectContaining({ type: "analytics", granted: true })]);
    expect(jsonOf(files, "audit.json").map((e: { action: string }) => e.action)).toEqual(
      expect.arrayContaining(["auth.register", "consent.granted", "privacy.export_requested"]),
    );
  });

  test("while one export is pending, asking again (even in parallel) returns it", async () => {
    const u = await h.user();
    const many = await Promise.all(Array.from({ length: 6 }, () => u.post("/v1/me/export")));
    expect(many.every((r) => r.status === 202)).toBe(true);
    const ids = new Set(many.map((r) => r.body.id));
    await h.services.jobs.drain("exports");
    const finished = [...ids].map(async (id) => (await u.get(`/v1/me/export/${id}`)).body.status);
    expect(await Promise.all(finished)).toEqual([...ids].map(() => "ready"));
    // The job workers run meanwhile, so a request may come after an export finished and start
    // the next one (how many depends on the machine's speed); never two at once: each export
    // was created after the one before it had finished.
    const rows = await h.services.db.primary.select().from(schema.dataExports).where(eq(schema.dataExports.userId, u.info.id));
    expect(rows.map((r) => r.id).sort()).toEqual([...ids].sort());
    rows.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
    for (let i = 1; i < rows.length; i++) {
      expect((rows[i - 1] as (typeof rows)[number]).finishedAt?.getTime()).toBeLessThanOrEqual(
        (rows[i] as (typeof rows)[number]).createdAt.getTime(),
      );
    }
  });

  test("an export whose job was lost (queued long ago) no longer blocks a new one", async () => {
    const u = await h.user();
    const [stale] = await h.services.db.primary
      .insert(schema.dataExports)
      .values({ userId: u.info.id, status: "queued", createdAt: new Date(Date.now() - 2 * 3600_000) })
      .returning();
    const fresh = await u.post("/v1/me/export");
    expect(fresh.status).toBe(202);
    expect(fresh.body.id).not.toBe(stale!.id);
    expect((await u.get(`/v1/me/export/${stale!.id}`)).body.status).toBe("failed");
    await h.services.jobs.drain("exports");
    expect((await u.get(`/v1/me/export/${fresh.body.id}`)).body.status).toBe("ready");
  });

  test("the periodic sweep removes archives past their retention, row and bytes, and keeps live ones", async () => {
    const x = schema.dataExports;
    const row = async (id: string) => (await h.services.db.primary.select().from(x).where(eq(x.id, id)))[0];
    const expired = (await exportArchive(h, await h.user())).status;
    const live = (await exportArchive(h, await h.user())).status;
    const expiredKey = (await row(expired.id))?.storageKey as string;
    const liveKey = (await row(live.id))?.storageKey as string;
    await h.services.db.primary
      .update(x)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(x.id, expired.id));
    // Twice at once, as two core processes might: each archive goes once, neither run fails.
    const [one, two] = await Promise.all([dropExpiredExports({ ctx: { s: h.services } }), dropExpiredExports({ ctx: { s: h.services } })]);
    expect(one + two).toBeGreaterThanOrEqual(1);
    expect(await row(expired.id)).toBeUndefined();
    expect(await h.services.storage.exists(expiredKey)).toBe(false);
    expect((await row(live.id))?.status).toBe("ready");
    expect(await h.services.storage.exists(liveKey)).toBe(true);
  });

  test("the link is signed and expires; another user's export is 404; bad ids are 400", async () => {
    const a = await h.user();
    const b = await h.user();
    const { status, url } = await exportArchive(h, a);
    expect((await b.get(`/v1/me/export/${status.id}`)).status).toBe(404);
    expectValidationError(await a.get("/v1/me/export/not-a-uuid"));
    const parsed = new URL(url, "http://x");
    const exp = Number(parsed.searchParams.get("exp"));
    expect(exp * 1000 - Date.now()).toBeLessThanOrEqual(3600_000);
    const forged = `/v1/public/exports/${status.id}?exp=${exp + 10}&sig=${parsed.searchParams.get("sig")}`;
    expect((await h.anon.fetch("GET", forged)).status).toBe(403);
    const expired = `/v1/public/exports/${status.id}?exp=1000&sig=${parsed.searchParams.get("sig")}`;
    expect((await h.anon.fetch("GET", expired)).status).toBe(403);
    expectValidationError(await h.anon.get(`/v1/public/exports/${status.id}?exp=abc&sig=x`));
    expect((await h.anon.post("/v1/me/export")).status).toBe(401);
    const key = (await a.post("/v1/api-keys", { name: "k", scopes: ["entries:read"] })).body.key;
    expect((await a.withToken(key).post("/v1/me/export")).status).toBe(403);
  });
});
