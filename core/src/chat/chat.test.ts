import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseContextEntries } from "@tcc/shared/contracts";
import type { FakeNode } from "../../../ai-gateway/fake-node/server";
import { type AiStack, startAiStack } from "../../test/ai-stack";
import { Client, createHarness, type Harness, waitUntil } from "../../test/harness";
import { answerOf, chat, named, parseSse } from "../../test/sse";
import { createApp } from "../app";
import { closeServices, createServices } from "../bootstrap";
import { parseEnv } from "../env";

// Core → the real AI gateway → the only stand-in: an LM Studio node, scripted per test.
let ai: AiStack;
let fake: FakeNode;
let h: Harness;
beforeAll(async () => {
  ai = await startAiStack();
  fake = ai.fake;
  h = await createHarness(ai.coreEnv);
});
afterAll(async () => {
  await h.close();
  await ai.stop();
});
beforeEach(() => ai.reset());

const chatCalls = () => fake.requests().filter((r) => r.path === "/v1/chat/completions");
const systemOf = (body: any): string => body.messages.find((m: any) => m.role === "system")?.content ?? "";

async function entry(u: Client, title: string, content = "") {
  const res = await u.post("/v1/entries", { title, content });
  expect(res.status).toBe(201);
  return res.body as { id: string; title: string };
}

describe("POST /v1/chat", () => {
  test("streams conversation, citations, deltas and done; the answer is stored with its citations", async () => {
    const a = await h.user();
    const race = await entry(a, "Marathon race day", "Finished the marathon in 4:05. Legs sore, happy.");
    await entry(a, "Groceries", "Milk and bread.");
    fake.script([{ content: "You finished the marathon in 4:05, see Marathon race day." }]);

    const res = await chat(a, { message: "How did the marathon go?" });
    expect(res.status).toBe(200);
    expect(res.contentType).toStartWith("text/event-stream");
    const kinds = res.events.map((e) => e.event).filter((k, i, all) => k !== all[i - 1]);
    expect(kinds).toEqual(["conversation", "citations", "delta", "done"]);
    expect(answerOf(res.events)).toBe("You finished the marathon in 4:05, see Marathon race day.");
    const [citations] = named(res.events, "citations");
    expect(citations).toEqual([{ entryId: race.id, title: "Marathon race day", date: expect.any(String) }]);
    const [done] = named(res.events, "done");
    expect(done.usage.totalTokens).toBeGreaterThan(0);
    expect(done.usage.totalTokens).toBe(done.usage.promptTokens + done.usage.completionTokens);

    // The retrieved entry reached the model in the contract's <tcc-entry> block, in the system message.
    const [call] = chatCalls();
    expect(parseContextEntries(systemOf(call?.body)).map((e) => e.id)).toEqual([race.id]);

    const { id } = named(res.events, "conversation")[0];
    const stored = await a.get(`/v1/conversations/${id}`);
    expect(stored.status).toBe(200);
    expect(stored.body.title).toBe("How did the marathon go?");
    expect(stored.body.messages).toMatchObject([
      { role: "user", content: "How did the marathon go?" },
      {
        id: done.messageId,
        role: "assistant",
        content: answerOf(res.events),
        citations: [{ entryId: race.id, title: "Marathon race day" }],
      },
    ]);
  });

  test("tool calls round-trip: query_log and search_entries run, their results go back to the model", async () => {
    const a = await h.user();
    await entry(a, "Run 5k", "easy run");
    await entry(a, "Run 10k", "tempo run");
    const shoes = await entry(a, "Bought trail shoes", "for the hills");
    fake.script([
      { tool_calls: [{ name: "query_log", arguments: { sql: "select count(*) as runs from entries where title ilike 'run%'" } }] },
      { tool_calls: [{ name: "search_entries", arguments: { query: "trail shoes", limit: 3 } }] },
      { content: "You logged 2 runs and bought trail shoes." },
    ]);
    const res = await chat(a, { message: "How many runs did I log?" });
    expect(res.status).toBe(200);
    expect(named(res.events, "tool")).toEqual([
      { name: "query_log", arguments: expect.stringContaining("select count(*)"), ok: true },
      { name: "search_entries", arguments: expect.stringContaining("trail shoes"), ok: true },
    ]);
    // search_entries read a new entry: the citations grow, and are re-sent complete.
    const citationEvents = named(res.events, "citations");
    expect(citationEvents.at(-1).map((c: any) => c.entryId)).toContain(shoes.id);
    expect(answerOf(res.events)).toBe("You logged 2 runs and bought trail shoes.");
    expect(named(res.events, "done")).toHaveLength(1);

    const calls = chatCalls();
    expect(calls).toHaveLength(3);
    const offered = calls[0]?.body.tools.map((t: any) => t.function.name);
    expect(offered).toEqual(["search_entries", "get_entry", "list_tags", "query_log"]);
    expect(calls[0]?.body.tools[3].function.description).toContain("entries(id uuid");
    const toolMessages = (calls[2]?.body.messages ?? []).filter((m: any) => m.role === "tool");
    expect(toolMessages[0].content).toContain('"rows":[{"runs":2}]');
    expect(toolMessages[1].content).toContain(shoes.id);
    // The assistant's tool call is echoed back before its result, as the protocol wants.
    const assistantTurns = (calls[2]?.body.messages ?? []).filter((m: any) => m.role === "assistant");
    expect(assistantTurns.map((m: any) => m.tool_calls[0].function.name)).toEqual(["query_log", "search_entries"]);

    const stored = await a.get(`/v1/conversations/${named(res.events, "conversation")[0].id}`);
    expect(stored.body.messages[1].toolCalls).toEqual([
      { name: "query_log", arguments: expect.any(String), ok: true },
      { name: "search_entries", arguments: expect.any(String), ok: true },
    ]);
  });

  test("bad tool calls come back to the model as errors, never as a failed request", async () => {
    const a = await h.user();
    const b = await h.user();
    const secret = await entry(b, "B's diary", "nobody else may read this");
    fake.script([
      {
        tool_calls: [
          { name: "get_entry", arguments: { id: "not-a-uuid" } },
          { name: "get_entry", arguments: { id: secret.id } },
          { name: "drop_everything", arguments: {} },
          { name: "query_log", arguments: "{not json" },
          { name: "query_log", arguments: { sql: "delete from entries" } },
        ],
      },
      { content: "I could not find that." },
    ]);
    const res = await chat(a, { message: "Read me the diary" });
    expect(res.status).toBe(200);
    expect(named(res.events, "tool").map((t) => t.ok)).toEqual([false, false, false, false, false]);
    expect(named(res.events, "done")).toHaveLength(1);
    const results = (chatCalls()[1]?.body.messages ?? []).filter((m: any) => m.role === "tool").map((m: any) => m.content);
    expect(results).toHaveLength(5);
    for (const r of results) expect(r).toStartWith("Error: ");
    expect(results.join("\n")).not.toContain("nobody else may read this");
    expect(named(res.events, "citations").flat()).toEqual([]);
    expect(JSON.stringify(res.events)).not.toContain("nobody else may read this");
  });

  test("chat never cites another user's entries, even much closer ones", async () => {
    const a = await h.user();
    const b = await h.user();
    const mine = await entry(a, "Kayak trip", "Paddled to the island.");
    const theirs = await entry(b, "Kayak trip kayak trip", "kayak trip kayak trip kayak trip, the very best kayak trip");
    fake.script([
      { tool_calls: [{ name: "search_entries", arguments: { query: "kayak trip" } }] },
      { content: "You paddled to the island." },
    ]);
    const res = await chat(a, { message: "kayak trip" });
    const cited = named(res.events, "citations").flatMap((list) => list.map((c: any) => c.entryId));
    expect(cited).toContain(mine.id);
    expect(cited).not.toContain(theirs.id);
    const upstream = JSON.stringify(chatCalls().map((c) => c.body.messages));
    expect(upstream).toContain(mine.id);
    expect(upstream).not.toContain(theirs.id);
    expect(upstream).not.toContain("the very best kayak trip");
  });

  test("history: the second question's upstream call carries the first turn", async () => {
    const a = await h.user();
    fake.script([{ content: "Your bike is blue." }, { content: "It was serviced in May." }]);
    const first = await chat(a, { message: "What colour is my bike?" });
    const conversationId = named(first.events, "conversation")[0].id;
    const second = await chat(a, { message: "And when was it serviced?", conversationId });
    expect(second.status).toBe(200);
    expect(named(second.events, "conversation")[0].id).toBe(conversationId);
    const sent = chatCalls()[1]?.body.messages.filter((m: any) => m.role !== "system");
    expect(sent).toEqual([
      { role: "user", content: "What colour is my bike?" },
      { role: "assistant", content: "Your bike is blue." },
      { role: "user", content: "And when was it serviced?" },
    ]);
    const list = await a.get("/v1/conversations");
    expect(list.body.items.map((c: any) => c.id)).toEqual([conversationId]);
    expect((await a.get(`/v1/conversations/${conversationId}`)).body.messages).toHaveLength(4);
  });

  test("a tool argument the database cannot take (NUL, a lone surrogate) goes back to the model as an error", async () => {
    const a = await h.user();
    await entry(a, "Run 5k", "easy run");
    fake.script([
      { tool_calls: [{ name: "search_entries", arguments: { query: "run\u0000" } }] },
      { tool_calls: [{ name: "search_entries", arguments: { query: "run \ud800" } }] },
      { content: "Sorry, no luck." },
    ]);
    const res = await chat(a, { message: "Find my runs" });
    expect(res.status).toBe(200);
    expect(named(res.events, "tool").map((t: any) => t.ok)).toEqual([false, false]);
    expect(named(res.events, "error")).toEqual([]);
    expect(answerOf(res.events)).toBe("Sorry, no luck.");
  });

  test("after the tool rounds the model is offered no tools and must answer", async () => {
    const a = await h.user();
    const loop = { tool_calls: [{ name: "list_tags", arguments: {} }] };
    fake.script([loop, loop, loop, loop, { content: "unused" }]);
    const res = await chat(a, { message: "Loop forever" });
    expect(named(res.events, "tool")).toHaveLength(3);
    expect(named(res.events, "done")).toHaveLength(1);
    const calls = chatCalls();
    expect(calls).toHaveLength(4);
    expect(calls[3]?.body.tools).toBeUndefined();
  });

  test("validation: empty or missing message, bad ids, unknown and foreign conversations", async () => {
    const a = await h.user();
    const b = await h.user();
    for (const body of [{}, { message: "" }, { message: "   " }, { message: "hi", conversationId: "nope" }, { message: "hi", extra: 1 }]) {
      const res = await chat(a, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.error.error.code).toBe("VALIDATION_FAILED");
    }
    const missing = await chat(a, { message: "hi", conversationId: "01900000-0000-7000-8000-000000000000" });
    expect(missing.status).toBe(404);
    fake.script([{ content: "A's answer" }]);
    const mine = named((await chat(a, { message: "A's question" })).events, "conversation")[0].id;
    const foreign = await chat(b, { message: "let me in", conversationId: mine });
    expect(foreign.status).toBe(404);
    expect(foreign.error.error.code).toBe("NOT_FOUND");
    expect((await a.get(`/v1/conversations/${mine}`)).body.messages).toHaveLength(2);
    expect(chatCalls()).toHaveLength(1); // refused requests never reached the model
    expect((await h.anon.post("/v1/chat", { message: "hi" })).status).toBe(401);
  });

  test("an API key needs chat:write to ask and chat:read to read", async () => {
    const a = await h.user();
    const key = a.withToken((await a.post("/v1/api-keys", { name: "reader", scopes: ["chat:read"] })).body.key);
    expect((await key.get("/v1/conversations")).status).toBe(200);
    const res = await chat(key, { message: "hi" });
    expect(res.status).toBe(403);
    expect(chatCalls()).toHaveLength(0);
  });

  test("a client that disconnects mid-stream cancels the upstream call; the question is kept", async () => {
    const a = await h.user();
    fake.configure({ tokensPerSecond: 20 });
    fake.script([{ content: Array.from({ length: 200 }, (_, i) => `word${i}`).join(" ") }]);
    const res = await a.fetch("POST", "/v1/chat", JSON.stringify({ message: "Tell me everything" }), {
      "content-type": "application/json",
    });
    expect(res.status).toBe(200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let seen = "";
    while (!seen.includes("event: delta")) seen += new TextDecoder().decode((await reader.read()).value);
    expect(fake.stats().active).toBe(1);
    await reader.cancel();
    expect(await waitUntil(() => fake.stats().active === 0, 3_000)).toBe(true);
    expect(fake.stats().aborted).toBeGreaterThan(0);
    const id = parseSse(seen).find((e) => e.event === "conversation")?.data.id;
    const deadline = Date.now() + 3_000;
    let messages: any[] = [];
    while (Date.now() < deadline && messages.length === 0) {
      messages = (await a.get(`/v1/conversations/${id}`)).body.messages;
      if (messages.length === 0) await Bun.sleep(20);
    }
    expect(messages[0]).toMatchObject({ role: "user", content: "Tell me everything" });
  });

  test("over real HTTP, a client that aborts mid-stream cancels the upstream call", async () => {
    const a = await h.user();
    const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: h.app.fetch, idleTimeout: 0 });
    try {
      fake.configure({ tokensPerSecond: 20 });
      fake.script([{ content: Array.from({ length: 200 }, (_, i) => `word${i}`).join(" ") }]);
      const abort = new AbortController();
      const res = await fetch(`http://127.0.0.1:${server.port}/v1/chat`, {
        method: "POST",
        headers: { authorization: `Bearer ${a.token}`, "content-type": "application/json" },
        body: JSON.stringify({ message: "Tell me everything" }),
        signal: abort.signal,
      });
      expect(res.status).toBe(200);
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      let seen = "";
      while (!seen.includes("event: delta")) seen += new TextDecoder().decode((await reader.read()).value);
      expect(fake.stats().active).toBe(1);
      abort.abort();
      expect(await waitUntil(() => fake.stats().active === 0, 3_000)).toBe(true);

      // Leaving before the first token (the model is slow to start) cancels it too.
      fake.configure({ latencyMs: 10_000 });
      const early = new AbortController();
      const pending = fetch(`http://127.0.0.1:${server.port}/v1/chat`, {
        method: "POST",
        headers: { authorization: `Bearer ${a.token}`, "content-type": "application/json" },
        body: JSON.stringify({ message: "Slow one" }),
        signal: early.signal,
      }).catch(() => undefined);
      expect(await waitUntil(() => fake.stats().active === 1, 3_000)).toBe(true);
      early.abort();
      await pending;
      expect(await waitUntil(() => fake.stats().active === 0, 3_000)).toBe(true);
    } finally {
      await server.stop(true);
    }
  });

  test("a gateway that is down is a 503 before the stream, and leaves no conversation behind", async () => {
    const a = await h.user();
    fake.configure({ down: true });
    const res = await chat(a, { message: "Anyone there?" });
    expect(res.status).toBe(503);
    expect(res.error.error.code).toBe("UNAVAILABLE");
    expect((await a.get("/v1/conversations")).body.items).toEqual([]);
  });

  test("answers and tool calls are counted in /metrics, by outcome and by tool", async () => {
    const metric = async (series: string) => {
      const text = String((await h.anon.get("/metrics")).body);
      const line = text.split("\n").find((l) => l.startsWith(`${series} `));
      return Number(line?.split(" ").at(-1) ?? 0);
    };
    const done = 'tcc_chat_answers_total{outcome="done"}';
    const failed = 'tcc_chat_answers_total{outcome="error"}';
    const listTags = 'tcc_chat_tool_calls_total{tool="list_tags",ok="true"}';
    const unknown = 'tcc_chat_tool_calls_total{tool="unknown",ok="false"}';
    const before = {
      done: await metric(done),
      failed: await metric(failed),
      listTags: await metric(listTags),
      unknown: await metric(unknown),
    };
    const a = await h.user();
    fake.script([
      {
        tool_calls: [
          { name: "list_tags", arguments: {} },
          { name: "rm_rf", arguments: {} },
        ],
      },
      { content: "No tags yet." },
    ]);
    expect(answerOf((await chat(a, { message: "Which tags do I use?" })).events)).toBe("No tags yet.");
    fake.configure({ disconnectAfterTokens: 1 });
    fake.script([{ content: "cut off here" }]);
    expect(named((await chat(a, { message: "Fail please" })).events, "error")).toHaveLength(1);
    expect(await metric(done)).toBe(before.done + 1);
    expect(await metric(failed)).toBe(before.failed + 1);
    expect(await metric(listTags)).toBe(before.listTags + 1);
    expect(await metric(unknown)).toBe(before.unknown + 1);
  });

  test("a gateway failure mid-stream is an error event, and no done follows", async () => {
    const a = await h.user();
    fake.configure({ disconnectAfterTokens: 3 });
    fake.script([{ content: "one two three four five six" }]);
    const res = await chat(a, { message: "Fail halfway" });
    expect(res.status).toBe(200);
    expect(answerOf(res.events)).toBe("one two three ");
    expect(named(res.events, "error")).toEqual([{ code: "UNAVAILABLE", message: expect.any(String) }]);
    expect(named(res.events, "done")).toEqual([]);
  });
});

describe("chat on the embedded database (PGlite)", () => {
  test("answers with the same tools but query_log, and a model that calls it anyway is told why not", async () => {
    const services = await createServices(
      parseEnv({ DATA_DIR: mkdtempSync(join(tmpdir(), "tcc-chat-")), LOG_LEVEL: "silent", ...ai.coreEnv }),
    );
    try {
      expect(services.db.driver).toBe("pglite");
      const anon = new Client(createApp(services));
      const reg = await anon.post("/v1/auth/register", { email: "solo@example.test", password: "embedded password" });
      const u = anon.withToken(reg.body.accessToken);
      const bike = await entry(u, "Serviced the bike", "new chain");
      fake.script([{ tool_calls: [{ name: "query_log", arguments: { sql: "select 1" } }] }, { content: "Serviced the bike." }]);
      const res = await chat(u, { message: "When did I service the bike?" });
      expect(res.status).toBe(200);
      expect(named(res.events, "citations")[0]).toEqual([{ entryId: bike.id, title: "Serviced the bike", date: expect.any(String) }]);
      expect(named(res.events, "tool")).toEqual([{ name: "query_log", arguments: expect.any(String), ok: false }]);
      expect(named(res.events, "done")).toHaveLength(1);
      const [first, second] = chatCalls();
      expect(first?.body.tools.map((t: any) => t.function.name)).toEqual(["search_entries", "get_entry", "list_tags"]);
      expect(second?.body.messages.at(-1)).toMatchObject({
        role: "tool",
        content: expect.stringContaining("Error: query_log is not available"),
      });
    } finally {
      await closeServices(services);
    }
  }, 120_000);
});
