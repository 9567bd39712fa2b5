import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Client, createHarness, type Harness } from "../../test/harness";
import { appendMessages, openConversation, titleFrom } from "./conversations";

// Conversations are written by POST /v1/chat (chat.test.ts); here they are made through the
// service directly, so paging and access rules are tested without a model.
let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

async function conversation(u: Client, question: string, answer = "an answer") {
  const ctx = { userId: u.info.id, s: h.services };
  const c = await openConversation({ ctx, input: { question } });
  await appendMessages({
    ctx,
    input: {
      conversationId: c.id,
      messages: [
        { role: "user", content: question },
        {
          role: "assistant",
          content: answer,
          citations: [{ entryId: "01900000-0000-7000-8000-000000000001", title: "t", date: "2026-01-01T00:00:00.000Z" }],
        },
      ],
    },
  });
  return c.id;
}

describe("conversations", () => {
  test("listed most recently active first, paged with a cursor", async () => {
    const u = await h.user();
    const ids: string[] = [];
    for (const q of ["first", "second", "third"]) ids.push(await conversation(u, q));
    // A new message makes the oldest conversation the most recent.
    await Bun.sleep(2);
    await appendMessages({
      ctx: { userId: u.info.id, s: h.services },
      input: { conversationId: ids[0] as string, messages: [{ role: "user", content: "again" }] },
    });
    const p1 = await u.get("/v1/conversations?limit=2");
    expect(p1.status).toBe(200);
    expect(p1.body.items.map((c: any) => c.title)).toEqual(["first", "third"]);
    const p2 = await u.get(`/v1/conversations?limit=2&cursor=${p1.body.nextCursor}`);
    expect(p2.body.items.map((c: any) => c.title)).toEqual(["second"]);
    expect(p2.body.nextCursor).toBeNull();
  });

  test("read with its messages in order; deleted with them", async () => {
    const u = await h.user();
    const id = await conversation(u, "What did I eat?", "Soup.");
    const got = await u.get(`/v1/conversations/${id}`);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ id, title: "What did I eat?" });
    expect(got.body.messages.map((m: any) => [m.role, m.content])).toEqual([
      ["user", "What did I eat?"],
      ["assistant", "Soup."],
    ]);
    expect(got.body.messages[1].citations).toEqual([
      { entryId: "01900000-0000-7000-8000-000000000001", title: "t", date: "2026-01-01T00:00:00.000Z" },
    ]);
    expect(got.body.messages[0]).toMatchObject({ toolCalls: [], citations: [] });
    expect((await u.del(`/v1/conversations/${id}`)).status).toBe(204);
    expect((await u.get(`/v1/conversations/${id}`)).status).toBe(404);
    expect((await u.del(`/v1/conversations/${id}`)).status).toBe(404);
  });

  test("another user's conversation is 404 in get and delete, and absent from their list", async () => {
    const a = await h.user();
    const b = await h.user();
    const id = await conversation(a, "private question");
    expect((await b.get(`/v1/conversations/${id}`)).status).toBe(404);
    expect((await b.del(`/v1/conversations/${id}`)).status).toBe(404);
    expect((await b.get("/v1/conversations")).body.items).toEqual([]);
    expect((await a.get(`/v1/conversations/${id}`)).body.messages).toHaveLength(2); // and it survived
  });

  test("validation: bad ids, limits and cursors are 400", async () => {
    const u = await h.user();
    for (const path of [
      "/v1/conversations/not-a-uuid",
      "/v1/conversations?limit=0",
      "/v1/conversations?limit=101",
      "/v1/conversations?cursor=garbage",
    ]) {
      const res = await u.get(path);
      expect(res.status, path).toBe(400);
      expect(res.body.error.code).toBe("VALIDATION_FAILED");
    }
    expect((await u.del("/v1/conversations/not-a-uuid")).status).toBe(400);
    expect((await h.anon.get("/v1/conversations")).status).toBe(401);
  });

  test("the OpenAPI document describes the chat stream and its events", async () => {
    const doc = (await h.anon.get("/openapi.json")).body;
    const chat = doc.paths["/v1/chat"].post;
    expect(Object.keys(chat.responses["200"].content)).toEqual(["text/event-stream"]);
    for (const event of ["conversation", "citations", "tool", "delta", "done", "error"]) expect(chat.description).toContain(`\`${event}\``);
    expect(Object.keys(doc.paths["/v1/conversations/{id}"])).toEqual(["get", "delete"]);
  });

  test("a long first question becomes a one-line title cut at a word", () => {
    expect(titleFrom("  How many\n runs  did I log? ")).toBe("How many runs did I log?");
    const long = titleFrom(`${"word ".repeat(40)}end`);
    expect(long.length).toBeLessThanOrEqual(81);
    expect(long).toEndWith("word…");
  });
});
