import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { schema } from "@tcc/db";
import { eq } from "drizzle-orm";
import { redisHolding, storageHolding, tablesHolding } from "../../test/erasure-scan";
import { type Client, createHarness, expectValidationError, type Harness } from "../../test/harness";
import { png } from "../../test/png";
import { EMBEDDINGS_QUEUE } from "../search/embeddings";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

/** A user with something of everything, each piece carrying `token`. */
async function populate(u: Client, other: Client, token: string) {
  const text = await (
    await u.fetch("PUT", "/v1/files?name=notes.txt", new TextEncoder().encode(`file ${token}`), { "content-type": "text/plain" })
  ).json();
  const image = await (
    await u.fetch("PUT", `/v1/files?name=${token}.png`, png(40, 30, [200, 10, 10]), { "content-type": "image/png" })
  ).json();
  await h.services.jobs.drain("images");
  const topic = (await u.post("/v1/topics", { name: `topic ${token}` })).body;
  const entry = (
    await u.post("/v1/entries", {
      title: `entry ${token}`,
      content: `body ${token}`,
      tags: [`tag${token}`],
      topicId: topic.id,
      fileIds: [text.id],
    })
  ).body;
  await u.post("/v1/links", { url: `https://example.com/${token}`, title: `link ${token}`, entryId: entry.id });
  const gallery = (await u.post("/v1/galleries", { title: `gallery ${token}` })).body;
  await u.post(`/v1/galleries/${gallery.id}/items`, { fileId: image.id, caption: `caption ${token}` });
  await u.post("/v1/me/consents", { type: "analytics", granted: true });
  await u.post("/v1/api-keys", { name: `key ${token}`, scopes: ["entries:read"] });
  await u.post("/v1/shares", { resourceType: "entry", resourceId: entry.id, grantee: { userId: other.info.id } });
  const theirs = (await other.post("/v1/entries", { title: "other's entry" })).body;
  await other.post("/v1/shares", { resourceType: "entry", resourceId: theirs.id, grantee: { userId: u.info.id } });
  const [conv] = await h.services.db.primary
    .insert(schema.conversations)
    .values({ userId: u.info.id, title: `chat ${token}` })
    .returning();
  await h.services.db.primary
    .insert(schema.messages)
    .values({ userId: u.info.id, conversationId: conv!.id, role: "user", content: `question ${token}` });
  await u.post("/v1/me/export");
  await h.services.jobs.drain("exports");
  await u.get("/v1/entries"); // a cached read
  await u.get(`/v1/search?q=${token}`);
  // Work still queued for the user (a retry waiting out its backoff).
  await h.services.jobs.enqueue(EMBEDDINGS_QUEUE, { userId: u.info.id, entryId: entry.id }, { delayMs: 600_000 });
  return { entry, image, theirs };
}

describe("DELETE /v1/me (erasure)", () => {
  test("removes every row, byte, derivative, cache key and queued job of the user; keeps an anonymised audit record", async () => {
    const token = `zq${Bun.randomUUIDv7().replaceAll("-", "").slice(-12)}`;
    const u = await h.user("erased");
    const other = await h.user("bystander");
    const { image, theirs } = await populate(u, other, token);
    const needles = [u.info.id, u.info.email, token];
    const [image0] = await h.services.db.primary.select().from(schema.files).where(eq(schema.files.id, image.id));
    expect(Object.keys((image0?.metadata as { derivatives?: object } | undefined)?.derivatives ?? {}).length).toBeGreaterThan(0);
    expect((await tablesHolding(h, needles)).length).toBeGreaterThan(10);
    expect((await storageHolding(h, [u.info.id])).length).toBeGreaterThanOrEqual(4); // 2 files, ≥1 derivative, the archive
    expect((await redisHolding([u.info.id])).length).toBeGreaterThan(0);
    const key = (await u.post("/v1/api-keys", { name: "last", scopes: ["entries:read"] })).body.key;

    const res = await u.request("DELETE", "/v1/me", { password: u.info.password });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ erased: true, jobs: 1, auditAnonymised: expect.any(Number) });
    expect(res.body.objects).toBeGreaterThanOrEqual(4);

    expect(await tablesHolding(h, needles)).toEqual([]);
    expect(storageHolding(h, needles)).toEqual([]);
    expect(await redisHolding(needles)).toEqual([]);
    expect((await h.services.jobs.counts(EMBEDDINGS_QUEUE)).delayed).toBe(0);

    // The tokens and keys stop; the email is free again; the other user is untouched.
    expect((await u.get("/v1/entries")).status).toBe(401);
    expect((await u.withToken(key).get("/v1/entries")).status).toBe(401);
    expect((await h.anon.post("/v1/auth/login", { email: u.info.email, password: u.info.password })).status).toBe(401);
    expect((await other.get(`/v1/entries/${theirs.id}`)).status).toBe(200);
    expect((await other.get("/v1/shares")).body.items).toEqual([]);
    expect((await other.get("/v1/shared")).body.items).toEqual([]);
    const erased = (await h.services.db.primary.select().from(schema.auditLog)).filter((a) => a.action === "account.erased");
    expect(erased.length).toBeGreaterThan(0);
    expect(erased.every((a) => a.userId === null && a.actorId === null && a.ip === null)).toBe(true);
  }, 120_000);

  test("needs the password: a wrong one is 401, a missing one 400, and nothing is removed; API keys are refused", async () => {
    const u = await h.user();
    const entry = (await u.post("/v1/entries", { title: "still here" })).body;
    expect((await u.request("DELETE", "/v1/me", { password: "wrong password" })).status).toBe(401);
    expectValidationError(await u.request("DELETE", "/v1/me", {}));
    expectValidationError(await u.request("DELETE", "/v1/me", { password: u.info.password, force: true }));
    const key = (await u.post("/v1/api-keys", { name: "k", scopes: ["entries:read", "entries:write"] })).body.key;
    expect((await u.withToken(key).request("DELETE", "/v1/me", { password: u.info.password })).status).toBe(403);
    expect((await h.anon.request("DELETE", "/v1/me", { password: "x" })).status).toBe(401);
    expect((await u.get(`/v1/entries/${entry.id}`)).status).toBe(200);
    expect((await u.get("/v1/me/audit")).body.items.map((e: { action: string }) => e.action)).toContain("privacy.erase_failed");
  });

  test("erasing one user leaves another's shared view of nothing, and the other's own data whole", async () => {
    const a = await h.user();
    const b = await h.user();
    const mine = (await b.post("/v1/entries", { title: "b keeps this" })).body;
    const shared = (await a.post("/v1/entries", { title: "a's" })).body;
    await a.post("/v1/shares", { resourceType: "entry", resourceId: shared.id, grantee: { userId: b.info.id } });
    expect((await b.get(`/v1/shared/entries/${shared.id}`)).status).toBe(200);
    expect((await a.request("DELETE", "/v1/me", { password: a.info.password })).status).toBe(200);
    expect((await b.get(`/v1/shared/entries/${shared.id}`)).status).toBe(404);
    expect((await b.get(`/v1/entries/${mine.id}`)).status).toBe(200);
  });
});
