import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Client, createHarness, expectValidationError, type Harness, type Res } from "../../test/harness";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

const ids = async (u: Client, qs = "") => (await u.get(`/v1/links${qs}`)).body.items.map((l: { id: string }) => l.id);

describe("links", () => {
  test("a user saves a link and reads it back, in get and in the list", async () => {
    const u = await h.user();
    const made = await u.post("/v1/links", {
      url: "  https://example.com/article?x=1#top  ",
      title: "Article",
      description: "Worth a read",
    });
    expect(made.status).toBe(201);
    expect(made.body).toEqual({
      id: expect.any(String),
      url: "https://example.com/article?x=1#top", // trimmed, otherwise exactly as pasted
      title: "Article",
      description: "Worth a read",
      entryId: null,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    const got = await u.get(`/v1/links/${made.body.id}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(made.body);
    expect((await u.get("/v1/links")).body).toEqual({ items: [made.body], nextCursor: null });
    const bare = await u.post("/v1/links", { url: "http://localhost:8080/Path/Ünïcode" });
    expect(bare.body).toMatchObject({ url: "http://localhost:8080/Path/Ünïcode", title: null, description: null });
    expect(await ids(u)).toEqual([bare.body.id, made.body.id]); // newest first
  });

  test("PATCH changes only the given fields", async () => {
    const u = await h.user();
    const { body } = await u.post("/v1/links", { url: "https://example.com/a", title: "A", description: "d" });
    const res = await u.patch(`/v1/links/${body.id}`, { url: "https://example.org/b", title: null });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: body.id, url: "https://example.org/b", title: null, description: "d", createdAt: body.createdAt });
    expect(new Date(res.body.updatedAt) >= new Date(body.updatedAt)).toBe(true);
    expect((await u.get(`/v1/links/${body.id}`)).body).toEqual(res.body);
  });

  test("a link attaches to an entry, is listed with it, and detaches with entryId null", async () => {
    const u = await h.user();
    const entry = (await u.post("/v1/entries", { title: "reading" })).body.id;
    const other = (await u.post("/v1/entries", { title: "other" })).body.id;
    const attached = await u.post("/v1/links", { url: "https://example.com/1", entryId: entry });
    expect(attached.status).toBe(201);
    expect(attached.body.entryId).toBe(entry);
    const loose = (await u.post("/v1/links", { url: "https://example.com/2" })).body;
    const moved = await u.patch(`/v1/links/${loose.id}`, { entryId: entry });
    expect(moved.body.entryId).toBe(entry);
    expect(await ids(u, `?entryId=${entry}`)).toEqual([loose.id, attached.body.id]);
    expect(await ids(u, `?entryId=${other}`)).toEqual([]);
    const detached = await u.patch(`/v1/links/${loose.id}`, { entryId: null });
    expect(detached.status).toBe(200);
    expect(detached.body.entryId).toBeNull();
    expect(await ids(u, `?entryId=${entry}`)).toEqual([attached.body.id]);
    expect(await ids(u)).toEqual([loose.id, attached.body.id]);
  });

  test("a link cannot attach to a trashed or missing entry, and survives its entry being purged", async () => {
    const u = await h.user();
    const entry = (await u.post("/v1/entries", { title: "soon gone" })).body.id;
    const link = (await u.post("/v1/links", { url: "https://example.com/", entryId: entry })).body;
    await u.del(`/v1/entries/${entry}`);
    expect((await u.post("/v1/links", { url: "https://example.com/x", entryId: entry })).status).toBe(404);
    expect((await u.post("/v1/links", { url: "https://example.com/x", entryId: crypto.randomUUID() })).status).toBe(404);
    expect((await u.del(`/v1/entries/${entry}?purge=true`)).status).toBe(204);
    const kept = await u.get(`/v1/links/${link.id}`);
    expect(kept.status).toBe(200);
    expect(kept.body.entryId).toBeNull();
    expect(await ids(u)).toEqual([link.id]);
  });

  test("delete removes the link", async () => {
    const u = await h.user();
    const { body } = await u.post("/v1/links", { url: "https://example.com/" });
    expect((await u.del(`/v1/links/${body.id}`)).status).toBe(204);
    expect((await u.get(`/v1/links/${body.id}`)).status).toBe(404);
    expect(await ids(u)).toEqual([]);
    expect((await u.del(`/v1/links/${body.id}`)).status).toBe(404);
  });

  test("cursor pagination is stable while links are added between pages", async () => {
    const u = await h.user();
    const made: string[] = [];
    for (let i = 0; i < 7; i++) made.push((await u.post("/v1/links", { url: `https://example.com/${i}` })).body.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: Res<{ items: { id: string }[]; nextCursor: string | null }> = await u.get(
        `/v1/links?limit=3${cursor ? `&cursor=${cursor}` : ""}`,
      );
      expect(res.status).toBe(200);
      seen.push(...res.body.items.map((l) => l.id));
      cursor = res.body.nextCursor;
      // Newer links sort before the cursor and must not shift the pages still to come.
      await u.post("/v1/links", { url: `https://example.com/late${pages}` });
      pages++;
    } while (cursor);
    expect(seen).toEqual([...made].reverse());
    expect(pages).toBe(3);
  });

  test("validation errors are 400 envelopes and store nothing", async () => {
    const u = await h.user();
    for (const body of [
      {},
      { url: "" },
      { url: "javascript:alert(1)" },
      { url: "data:text/html,<script>alert(1)</script>" },
      { url: "ftp://example.com/file" },
      { url: "/relative/path" },
      { url: "example.com" },
      { url: "https://exa mple.com/" },
      { url: "https://example.com/\u0000" },
      { url: "http://" },
      { url: "http:///example.com" },
      { url: "https://\\evil.example/" },
      { url: `https://example.com/${"a".repeat(2048)}` },
      { url: "https://example.com", title: "t".repeat(501) },
      { url: "https://example.com", description: "d".repeat(2001) },
      { url: "https://example.com", title: "a\u0000b" },
      { url: "https://example.com", entryId: "not-a-uuid" },
      { url: "https://example.com", extra: 1 },
    ]) {
      expectValidationError(await u.post("/v1/links", body));
    }
    expect(await ids(u)).toEqual([]);
    const { body } = await u.post("/v1/links", { url: "https://example.com/kept" });
    for (const patch of [{ url: "javascript:alert(1)" }, { url: null }, { entryId: "nope" }, { userId: crypto.randomUUID() }]) {
      expectValidationError(await u.patch(`/v1/links/${body.id}`, patch));
    }
    expectValidationError(await u.get("/v1/links/not-a-uuid"));
    expectValidationError(await u.get("/v1/links?limit=0"));
    expectValidationError(await u.get("/v1/links?limit=101"));
    expectValidationError(await u.get("/v1/links?cursor=bogus"));
    expectValidationError(await u.get("/v1/links?entryId=nope"));
    expect((await u.get("/v1/links")).body.items).toEqual([expect.objectContaining({ id: body.id, url: "https://example.com/kept" })]);
  });

  test("another user's link is 404 in get, update and delete; their entries take no links from others", async () => {
    const a = await h.user();
    const b = await h.user();
    const aEntry = (await a.post("/v1/entries", { title: "a's entry" })).body.id;
    const link = (await a.post("/v1/links", { url: "https://example.com/private", title: "private", entryId: aEntry })).body;
    const bLink = (await b.post("/v1/links", { url: "https://example.com/b" })).body;
    for (const res of [
      await b.get(`/v1/links/${link.id}`),
      await b.patch(`/v1/links/${link.id}`, { title: "taken" }),
      await b.del(`/v1/links/${link.id}`),
      await b.post("/v1/links", { url: "https://evil.example/", entryId: aEntry }),
      await b.patch(`/v1/links/${bLink.id}`, { entryId: aEntry }),
    ]) {
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe("NOT_FOUND");
    }
    expect(await ids(b)).toEqual([bLink.id]);
    expect(await ids(b, `?entryId=${aEntry}`)).toEqual([]);
    expect((await b.get(`/v1/links/${bLink.id}`)).body.entryId).toBeNull();
    const still = await a.get(`/v1/links/${link.id}`);
    expect(still.status).toBe(200);
    expect(still.body).toEqual(link);
    expect(await ids(a, `?entryId=${aEntry}`)).toEqual([link.id]);
  });

  test("API keys need links:read to read and links:write to change", async () => {
    const u = await h.user();
    const link = (await u.post("/v1/links", { url: "https://example.com/" })).body;
    const keyWith = async (scopes: string[]) => u.withToken((await u.post("/v1/api-keys", { name: "k", scopes })).body.key);
    const entriesOnly = await keyWith(["entries:read"]);
    for (const res of [await entriesOnly.get("/v1/links"), await entriesOnly.get(`/v1/links/${link.id}`)]) {
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe("FORBIDDEN");
    }
    const reader = await keyWith(["links:read"]);
    expect((await reader.get("/v1/links")).body.items.map((l: { id: string }) => l.id)).toEqual([link.id]);
    expect((await reader.post("/v1/links", { url: "https://example.com/new" })).status).toBe(403);
    expect((await reader.patch(`/v1/links/${link.id}`, { title: "x" })).status).toBe(403);
    expect((await reader.del(`/v1/links/${link.id}`)).status).toBe(403);
    expect(await ids(u)).toEqual([link.id]);
  });
});
