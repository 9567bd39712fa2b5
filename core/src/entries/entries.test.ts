import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { schema } from "@tcc/db";
import { and, eq, sql } from "drizzle-orm";
import { createHarness, type Harness } from "../../test/harness";
import { whileUncommitted } from "../../test/uncommitted";
import { STALE_CLAIM_S } from "../http/idempotency";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

describe("entries", () => {
  test("a user reads back what they wrote, tags created on first use", async () => {
    const u = await h.user();
    const made = await u.post("/v1/entries", {
      title: "Serviced the bike",
      content: "Chain **oiled**",
      tags: ["bike", "Maintenance", "bike"],
      occurredAt: "2025-03-02T10:00:00Z",
    });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({
      title: "Serviced the bike",
      content: "Chain **oiled**",
      tags: ["bike", "Maintenance"],
      occurredAt: "2025-03-02T10:00:00.000Z",
      deletedAt: null,
    });
    const got = await u.get(`/v1/entries/${made.body.id}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(made.body);
    const tags = await u.get("/v1/tags");
    expect(tags.body.items.map((t: { name: string }) => t.name)).toEqual(["bike", "Maintenance"]); // sorted case-insensitively
  });

  test("concurrent creates introducing the same new tags lose no tag and make no duplicates", async () => {
    const u = await h.user();
    const made = await Promise.all(
      Array.from({ length: 24 }, (_, i) => u.post("/v1/entries", { title: `race ${i}`, tags: ["Fresh", "fresh2", `own${i}`] })),
    );
    for (const [i, res] of made.entries()) {
      expect(res.status).toBe(201);
      expect(res.body.tags).toEqual(["Fresh", "fresh2", `own${i}`]);
    }
    const tags = (await u.get("/v1/tags")).body.items as { name: string; entryCount: number }[];
    expect(tags.filter((t) => t.name.toLowerCase() === "fresh")).toEqual([expect.objectContaining({ entryCount: 24 })]);
    expect(tags).toHaveLength(26);
  });

  test("a tag committed by another transaction mid-create is still linked", async () => {
    const u = await h.user();
    // Another transaction inserts the tag and holds it uncommitted: the create's insert waits
    // on it, then finds the conflict, and its snapshot cannot see the winner's row.
    const res = await whileUncommitted(
      h.services.db.primary,
      sql`insert into tags (id, user_id, name, name_key) values (${Bun.randomUUIDv7()}, ${u.info.id}, 'contested', 'contested')`,
      () => u.post("/v1/entries", { title: "racing", tags: ["contested", "calm"] }),
    );
    expect(res.status).toBe(201);
    expect(res.body.tags).toEqual(["calm", "contested"]);
    expect((await u.get(`/v1/entries?tag=contested`)).body.items).toHaveLength(1);
  });

  test("a tag deleted by another transaction mid-create is a 409 that wrote nothing, and a retry succeeds", async () => {
    const u = await h.user();
    expect((await u.post("/v1/entries", { title: "first", tags: ["doomed"] })).status).toBe(201);
    // Another transaction deletes the tag and holds it uncommitted: the create's snapshot still
    // sees the tag, and its foreign-key check waits for the delete, then finds the row gone.
    const res = await whileUncommitted(
      h.services.db.primary,
      sql`delete from tags where user_id = ${u.info.id} and name_key = 'doomed'`,
      () => u.post("/v1/entries", { title: "racing", tags: ["doomed"] }),
    );
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe("CONFLICT");
    // Nothing of the refused create was written; the first entry only lost its link.
    expect((await u.get("/v1/entries")).body.items.map((e: { title: string; tags: string[] }) => [e.title, e.tags])).toEqual([
      ["first", []],
    ]);
    const again = await u.post("/v1/entries", { title: "racing", tags: ["doomed"] });
    expect(again.status).toBe(201);
    expect(again.body.tags).toEqual(["doomed"]);
  });

  test("an existing tag keeps its spelling when reused in another case", async () => {
    const u = await h.user();
    await u.post("/v1/entries", { title: "first", tags: ["Bike"] });
    const second = await u.post("/v1/entries", { title: "second", tags: ["BIKE", "new"] });
    expect(second.body.tags).toEqual(["Bike", "new"]);
  });

  test("PATCH changes only the given fields and replaces tags", async () => {
    const u = await h.user();
    const { body } = await u.post("/v1/entries", { title: "t", content: "c", tags: ["a"] });
    const res = await u.patch(`/v1/entries/${body.id}`, { title: "t2", tags: ["b"] });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ title: "t2", content: "c", tags: ["b"] });
    expect(new Date(res.body.updatedAt) >= new Date(body.updatedAt)).toBe(true);
    expect((await u.get(`/v1/entries/${body.id}`)).body.title).toBe("t2");
  });

  test("delete moves to the trash, restore brings back, purge removes for good", async () => {
    const u = await h.user();
    const { body } = await u.post("/v1/entries", { title: "trash me" });
    expect((await u.del(`/v1/entries/${body.id}`)).status).toBe(204);
    expect((await u.get(`/v1/entries/${body.id}`)).status).toBe(404);
    expect((await u.get("/v1/entries")).body.items).toEqual([]);
    const trash = await u.get("/v1/entries?deleted=true");
    expect(trash.body.items.map((e: { id: string }) => e.id)).toEqual([body.id]);
    const restored = await u.post(`/v1/entries/${body.id}/restore`);
    expect(restored.status).toBe(200);
    expect(restored.body.deletedAt).toBeNull();
    expect((await u.get(`/v1/entries/${body.id}`)).status).toBe(200);
    expect((await u.del(`/v1/entries/${body.id}?purge=true`)).status).toBe(204);
    expect((await u.get("/v1/entries?deleted=true")).body.items).toEqual([]);
    expect((await u.post(`/v1/entries/${body.id}/restore`)).status).toBe(404);
  });

  test("validation errors are 400 envelopes and store nothing", async () => {
    const u = await h.user();
    const cases = [
      {},
      { title: "" },
      { title: "x", extra: 1 },
      { title: "x", occurredAt: "yesterday" },
      { title: "x", tags: "not-an-array" },
      { title: "x", topicId: "not-a-uuid" },
      { title: "x\u0000y" },
      { title: "x", content: "a".repeat(1024 * 1024 + 1) },
    ];
    for (const body of cases) {
      const res = await u.post("/v1/entries", body);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe("VALIDATION_FAILED");
    }
    expect((await u.get("/v1/entries")).body.items).toEqual([]);
    expect((await u.get("/v1/entries/not-a-uuid")).status).toBe(400);
    expect((await u.get("/v1/entries?limit=1000")).status).toBe(400);
    expect((await u.get("/v1/entries?cursor=bogus")).status).toBe(400);
  });

  test("content of exactly 1 MiB is accepted and returned verbatim", async () => {
    const u = await h.user();
    const content = "word ".repeat((1024 * 1024) / 5).slice(0, 1024 * 1024);
    const res = await u.post("/v1/entries", { title: "big", content });
    expect(res.status).toBe(201);
    expect((await u.get(`/v1/entries/${res.body.id}`)).body.content).toBe(content);
  });

  test("malformed JSON, a wrong content type, oversize bodies and invalid UTF-8 are clear 4xx errors", async () => {
    const u = await h.user();
    const malformed = await u.request("POST", "/v1/entries", '{"title": "x",', { "content-type": "application/json" });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe("BAD_REQUEST");
    const notJson = await u.request("POST", "/v1/entries", "title=x", { "content-type": "application/x-www-form-urlencoded" });
    expect(notJson.status).toBe(415);
    expect(notJson.body.error.code).toBe("UNSUPPORTED_MEDIA_TYPE");
    const huge = await u.request("POST", "/v1/entries", JSON.stringify({ title: "x", content: "a".repeat(3 * 1024 * 1024) }));
    expect(huge.status).toBe(413);
    expect(huge.body.error.code).toBe("PAYLOAD_TOO_LARGE");
    const bytes = new Uint8Array([...new TextEncoder().encode('{"title":"'), 0xff, 0xfe, ...new TextEncoder().encode('"}')]);
    const badUtf8 = await u.request("POST", "/v1/entries", bytes, { "content-type": "application/json" });
    expect(badUtf8.status).toBe(400);
    expect(badUtf8.body.error.message).toContain("UTF-8");
    expect((await u.get("/v1/entries")).body.items).toEqual([]);
  });

  test("SQL-looking and unusual text is stored and returned verbatim", async () => {
    const u = await h.user();
    const title = "'; DROP TABLE entries; -- \" \\ %_ $1 ${x}";
    const content = "Robert'); DELETE FROM users;--\n😀 é 中文 \u202e <script>alert(1)</script>";
    const res = await u.post("/v1/entries", { title, content, tags: ["' OR 1=1 --"] });
    expect(res.status).toBe(201);
    const got = await u.get(`/v1/entries/${res.body.id}`);
    expect(got.body).toMatchObject({ title, content, tags: ["' OR 1=1 --"] });
    expect((await u.get(`/v1/entries?tag=${encodeURIComponent("' OR 1=1 --")}`)).body.items).toHaveLength(1);
  });

  test("another user's entry is 404 in get, update, delete, restore, purge, list and search", async () => {
    const a = await h.user();
    const b = await h.user();
    const { body } = await a.post("/v1/entries", { title: "private diary", tags: ["secret"] });
    const id = body.id;
    for (const res of [
      await b.get(`/v1/entries/${id}`),
      await b.patch(`/v1/entries/${id}`, { title: "x" }),
      await b.del(`/v1/entries/${id}`),
      await b.post(`/v1/entries/${id}/restore`),
      await b.del(`/v1/entries/${id}?purge=true`),
    ]) {
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe("NOT_FOUND");
    }
    expect((await b.get("/v1/entries")).body.items).toEqual([]);
    expect((await b.get("/v1/entries?tag=secret")).body.items).toEqual([]);
    expect((await b.get("/v1/search?q=diary")).body.items).toEqual([]);
    expect((await b.get("/v1/tags")).body.items).toEqual([]);
    const still = await a.get(`/v1/entries/${id}`);
    expect(still.status).toBe(200);
    expect(still.body.title).toBe("private diary");
  });

  test("an entry cannot point at another user's topic", async () => {
    const a = await h.user();
    const b = await h.user();
    const topic = await a.post("/v1/topics", { name: "A's topic" });
    expect(topic.status).toBe(201);
    const res = await b.post("/v1/entries", { title: "x", topicId: topic.body.id });
    expect(res.status).toBe(404);
    expect((await b.get("/v1/entries")).body.items).toEqual([]);
  });

  test("Idempotency-Key replays the first creation instead of creating twice", async () => {
    const u = await h.user();
    const key = { "idempotency-key": crypto.randomUUID() };
    const first = await u.post("/v1/entries", { title: "once" }, key);
    const second = await u.post("/v1/entries", { title: "once" }, key);
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body.id).toBe(first.body.id);
    expect((await u.get("/v1/entries")).body.items).toHaveLength(1);
    const different = await u.post("/v1/entries", { title: "other body" }, key);
    expect(different.status).toBe(409);
  });

  test("a claim left by a process that died mid-create blocks retries until it is stale, then one retry takes it over", async () => {
    const u = await h.user();
    const key = crypto.randomUUID();
    const first = await u.post("/v1/entries", { title: "crashed" }, { "idempotency-key": key });
    expect(first.status).toBe(201);
    // What a crash between the claim and the outcome leaves: the create rolled back, the claim at 0.
    const t = schema.idempotencyKeys;
    const mine = and(eq(t.userId, u.info.id), eq(t.key, key));
    await h.services.db.primary.delete(schema.entries).where(eq(schema.entries.id, first.body.id));
    await h.services.db.primary.update(t).set({ status: 0, body: {} }).where(mine);
    expect((await u.post("/v1/entries", { title: "crashed" }, { "idempotency-key": key })).status).toBe(409);

    await h.services.db.primary
      .update(t)
      .set({ createdAt: new Date(Date.now() - (STALE_CLAIM_S + 60) * 1000) })
      .where(mine);
    const retries = await Promise.all(
      Array.from({ length: 4 }, () => u.post("/v1/entries", { title: "crashed" }, { "idempotency-key": key })),
    );
    const created = retries.filter((r) => r.status === 201);
    expect(new Set(created.map((r) => r.body.id)).size).toBe(1); // one new entry, replayed to any later retry
    expect(retries.every((r) => r.status === 201 || r.status === 409)).toBe(true);
    expect((await u.get("/v1/entries")).body.items).toHaveLength(1);
    const again = await u.post("/v1/entries", { title: "crashed" }, { "idempotency-key": key });
    expect([again.status, again.body.id]).toEqual([201, created[0]?.body.id]);
  });
});

describe("listing", () => {
  test("filters by tags (all must match), topic and date range; sorts both ways", async () => {
    const u = await h.user();
    const topic = (await u.post("/v1/topics", { name: "Bike" })).body;
    const mk = (title: string, tags: string[], occurredAt: string, topicId?: string) =>
      u.post("/v1/entries", { title, tags, occurredAt, topicId });
    await mk("one", ["a", "b"], "2025-01-01T00:00:00Z", topic.id);
    await mk("two", ["a"], "2025-02-01T00:00:00Z");
    await mk("three", ["b"], "2025-03-01T00:00:00Z", topic.id);
    const titles = async (qs: string) => (await u.get(`/v1/entries?${qs}`)).body.items.map((e: { title: string }) => e.title);
    expect(await titles("")).toEqual(["three", "two", "one"]);
    expect(await titles("order=asc")).toEqual(["one", "two", "three"]);
    expect(await titles("tag=a")).toEqual(["two", "one"]);
    expect(await titles("tag=a&tag=B")).toEqual(["one"]);
    expect(await titles("tag=a,b")).toEqual(["one"]);
    expect(await titles(`topicId=${topic.id}`)).toEqual(["three", "one"]);
    expect(await titles("from=2025-01-15T00:00:00Z&to=2025-02-15T00:00:00Z")).toEqual(["two"]);
    expect(await titles("sort=createdAt&order=asc")).toEqual(["one", "two", "three"]);
  });

  test("cursor pagination is stable while rows are inserted", async () => {
    const u = await h.user();
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await u.post("/v1/entries", { title: `e${i}` })).body.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: { body: { items: { id: string }[]; nextCursor: string | null } } = await u.get(
        `/v1/entries?limit=3&sort=createdAt${cursor ? `&cursor=${cursor}` : ""}`,
      );
      seen.push(...res.body.items.map((e) => e.id));
      cursor = res.body.nextCursor;
      // New entries arrive between pages; they sort before the cursor and must not shift the pages.
      await u.post("/v1/entries", { title: `late${pages}` });
      pages++;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    expect(pages).toBe(3);
  });

  test("entries created in the same millisecond are neither skipped nor repeated", async () => {
    const u = await h.user();
    const when = "2024-06-01T12:00:00.000Z";
    for (let i = 0; i < 5; i++) await u.post("/v1/entries", { title: `same${i}`, occurredAt: when });
    const seen = new Set<string>();
    let cursor: string | null = null;
    do {
      const res: { body: { items: { id: string }[]; nextCursor: string | null } } = await u.get(
        `/v1/entries?limit=2${cursor ? `&cursor=${cursor}` : ""}`,
      );
      for (const e of res.body.items) seen.add(e.id);
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen.size).toBe(5);
  });
});
