import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Client, createHarness, expectValidationError, type Harness } from "../../test/harness";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

const names = async (u: Client) => (await u.get("/v1/topics")).body.items.map((t: { name: string }) => t.name);

describe("topics", () => {
  test("a user creates a topic and reads it back, in get and in the list", async () => {
    const u = await h.user();
    const made = await u.post("/v1/topics", { name: "  Bike  ", description: "Everything about the bike" });
    expect(made.status).toBe(201);
    expect(made.body).toEqual({
      id: expect.any(String),
      name: "Bike",
      description: "Everything about the bike",
      entryCount: 0,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    const got = await u.get(`/v1/topics/${made.body.id}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(made.body);
    expect((await u.get("/v1/topics")).body.items).toEqual([made.body]);
    const bare = await u.post("/v1/topics", { name: "garden" });
    expect(bare.body.description).toBeNull();
    expect(await names(u)).toEqual(["Bike", "garden"]);
  });

  test("the list is sorted by name ignoring case", async () => {
    const u = await h.user();
    for (const name of ["zebra", "Apple", "mango", "banana"]) await u.post("/v1/topics", { name });
    expect(await names(u)).toEqual(["Apple", "banana", "mango", "zebra"]);
  });

  test("entryCount counts the topic's live entries and follows moves, trash and restore", async () => {
    const u = await h.user();
    const bike = (await u.post("/v1/topics", { name: "Bike" })).body.id;
    const garden = (await u.post("/v1/topics", { name: "Garden" })).body.id;
    const e1 = (await u.post("/v1/entries", { title: "e1", topicId: bike })).body.id;
    await u.post("/v1/entries", { title: "e2", topicId: bike });
    await u.post("/v1/entries", { title: "e3", topicId: garden });
    const count = async (id: string) => (await u.get(`/v1/topics/${id}`)).body.entryCount;
    expect([await count(bike), await count(garden)]).toEqual([2, 1]);
    await u.patch(`/v1/entries/${e1}`, { topicId: garden });
    expect([await count(bike), await count(garden)]).toEqual([1, 2]);
    await u.del(`/v1/entries/${e1}`);
    expect(await count(garden)).toBe(1);
    await u.post(`/v1/entries/${e1}/restore`);
    expect(await count(garden)).toBe(2);
    expect((await u.get("/v1/topics")).body.items.map((t: { entryCount: number }) => t.entryCount)).toEqual([1, 2]);
  });

  test("PATCH changes only the given fields; description null clears it", async () => {
    const u = await h.user();
    const { body } = await u.post("/v1/topics", { name: "Bike", description: "old" });
    const renamed = await u.patch(`/v1/topics/${body.id}`, { name: "Bicycle" });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ id: body.id, name: "Bicycle", description: "old", createdAt: body.createdAt });
    expect(new Date(renamed.body.updatedAt) >= new Date(body.updatedAt)).toBe(true);
    const cleared = await u.patch(`/v1/topics/${body.id}`, { description: null });
    expect(cleared.body).toMatchObject({ name: "Bicycle", description: null });
    const recased = await u.patch(`/v1/topics/${body.id}`, { name: "BICYCLE" });
    expect(recased.status).toBe(200);
    expect((await u.get(`/v1/topics/${body.id}`)).body).toMatchObject({ name: "BICYCLE", description: null });
  });

  test("delete removes the topic; its entries stay, without a topic", async () => {
    const u = await h.user();
    const topic = (await u.post("/v1/topics", { name: "Temp" })).body.id;
    const entry = (await u.post("/v1/entries", { title: "kept", topicId: topic })).body.id;
    expect((await u.del(`/v1/topics/${topic}`)).status).toBe(204);
    expect((await u.get(`/v1/topics/${topic}`)).status).toBe(404);
    expect(await names(u)).toEqual([]);
    const kept = await u.get(`/v1/entries/${entry}`);
    expect(kept.status).toBe(200);
    expect(kept.body.topicId).toBeNull();
    expect((await u.del(`/v1/topics/${topic}`)).status).toBe(404);
  });

  test("a duplicate name, ignoring case, is a 409 on create and on rename", async () => {
    const u = await h.user();
    const bike = (await u.post("/v1/topics", { name: "Bike" })).body;
    const dup = await u.post("/v1/topics", { name: "bIKE" });
    expect(dup.status).toBe(409);
    expect(dup.body.error.code).toBe("CONFLICT");
    const garden = (await u.post("/v1/topics", { name: "Garden" })).body;
    const clash = await u.patch(`/v1/topics/${garden.id}`, { name: "BIKE", description: "changed" });
    expect(clash.status).toBe(409);
    expect(clash.body.error.code).toBe("CONFLICT");
    expect((await u.get(`/v1/topics/${garden.id}`)).body).toMatchObject({ name: "Garden", description: null });
    expect(await names(u)).toEqual([bike.name, "Garden"]);
  });

  test("the same name is fine for two different users", async () => {
    const a = await h.user();
    const b = await h.user();
    expect((await a.post("/v1/topics", { name: "Bike" })).status).toBe(201);
    expect((await b.post("/v1/topics", { name: "bike" })).status).toBe(201);
    expect(await names(a)).toEqual(["Bike"]);
    expect(await names(b)).toEqual(["bike"]);
  });

  test("Idempotency-Key replays the first creation", async () => {
    const u = await h.user();
    const key = { "idempotency-key": crypto.randomUUID() };
    const first = await u.post("/v1/topics", { name: "Once" }, key);
    const second = await u.post("/v1/topics", { name: "Once" }, key);
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body.id).toBe(first.body.id);
    expect(await names(u)).toEqual(["Once"]);
  });

  test("validation errors are 400 envelopes and store nothing", async () => {
    const u = await h.user();
    for (const body of [
      {},
      { name: "" },
      { name: "   " },
      { name: "a".repeat(201) },
      { name: "a\u0000b" },
      { name: 42 },
      { name: "ok", description: "d".repeat(2001) },
      { name: "ok", extra: true },
    ]) {
      expectValidationError(await u.post("/v1/topics", body));
    }
    expect(await names(u)).toEqual([]);
    const { body } = await u.post("/v1/topics", { name: "Real", description: "kept" });
    for (const patch of [{ name: "" }, { description: "d".repeat(2001) }, { id: crypto.randomUUID() }]) {
      expectValidationError(await u.patch(`/v1/topics/${body.id}`, patch));
    }
    expectValidationError(await u.get("/v1/topics/not-a-uuid"));
    expectValidationError(await u.patch("/v1/topics/not-a-uuid", { name: "x" }));
    expectValidationError(await u.del("/v1/topics/not-a-uuid"));
    expect((await u.get("/v1/topics")).body.items).toEqual([expect.objectContaining({ id: body.id, name: "Real", description: "kept" })]);
  });

  test("another user's topic is 404 in get, update and delete, cannot hold their entries, and never shows in their list", async () => {
    const a = await h.user();
    const b = await h.user();
    const topic = (await a.post("/v1/topics", { name: "A's topic", description: "private" })).body;
    const aEntry = (await a.post("/v1/entries", { title: "filed", topicId: topic.id })).body.id;
    const bTopic = (await b.post("/v1/topics", { name: "B's topic" })).body;
    const bEntry = (await b.post("/v1/entries", { title: "b's entry" })).body.id;
    for (const res of [
      await b.get(`/v1/topics/${topic.id}`),
      await b.patch(`/v1/topics/${topic.id}`, { name: "taken over" }),
      await b.del(`/v1/topics/${topic.id}`),
      await b.post("/v1/entries", { title: "sneak in", topicId: topic.id }),
      await b.patch(`/v1/entries/${bEntry}`, { topicId: topic.id }),
    ]) {
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe("NOT_FOUND");
    }
    expect((await b.get("/v1/topics")).body.items).toEqual([expect.objectContaining({ id: bTopic.id, entryCount: 0 })]);
    expect((await b.get(`/v1/entries?topicId=${topic.id}`)).body.items).toEqual([]);
    expect((await b.get(`/v1/entries/${bEntry}`)).body.topicId).toBeNull();
    expect((await b.get("/v1/entries")).body.items.map((e: { id: string }) => e.id)).toEqual([bEntry]);
    const still = await a.get(`/v1/topics/${topic.id}`);
    expect(still.status).toBe(200);
    expect(still.body).toMatchObject({ name: "A's topic", description: "private", entryCount: 1 });
    expect((await a.get(`/v1/entries/${aEntry}`)).body.topicId).toBe(topic.id);
  });

  test("API keys need topics:read to read and topics:write to change", async () => {
    const u = await h.user();
    const topic = (await u.post("/v1/topics", { name: "Bike" })).body;
    const keyWith = async (scopes: string[]) => u.withToken((await u.post("/v1/api-keys", { name: "k", scopes })).body.key);
    const entriesOnly = await keyWith(["entries:read"]);
    for (const res of [await entriesOnly.get("/v1/topics"), await entriesOnly.get(`/v1/topics/${topic.id}`)]) {
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe("FORBIDDEN");
    }
    const reader = await keyWith(["topics:read"]);
    expect((await reader.get("/v1/topics")).body.items.map((t: { id: string }) => t.id)).toEqual([topic.id]);
    expect((await reader.post("/v1/topics", { name: "New" })).status).toBe(403);
    expect((await reader.patch(`/v1/topics/${topic.id}`, { name: "x" })).status).toBe(403);
    expect((await reader.del(`/v1/topics/${topic.id}`)).status).toBe(403);
    expect(await names(u)).toEqual(["Bike"]);
  });
});
