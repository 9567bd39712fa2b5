import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { startFakeNode } from "../fake-node/server";
import { embedText, stem } from "../src/builtin/embedder";

const node = await startFakeNode({ models: ["chat-a", "embed-a"], dims: 64 });
const client = new OpenAI({ baseURL: `${node.url}/v1`, apiKey: "x", maxRetries: 0 });
afterAll(() => node.stop());
beforeEach(() => node.reset());

const cosine = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * (b[i] ?? 0), 0);

describe("built-in embedder", () => {
  test("is deterministic, unit length, and sized as asked", () => {
    const a = embedText("Serviced the bike chain today", 64);
    expect(a).toEqual(embedText("Serviced the bike chain today", 64));
    expect(a).toHaveLength(64);
    expect(Math.abs(Math.sqrt(cosine(a, a)) - 1)).toBeLessThan(1e-9);
    expect(Math.sqrt(cosine(embedText("", 8), embedText("", 8)))).toBeCloseTo(1);
  });

  test("shared stems are closer than unrelated text", () => {
    expect(stem("servicing")).toBe(stem("serviced"));
    expect(stem("service")).toBe(stem("services"));
    const q = embedText("bike service", 256);
    const near = embedText("I serviced my bike: new chain and brake pads", 256);
    const far = embedText("Decided to move the team offsite to March", 256);
    expect(cosine(q, near)).toBeGreaterThan(cosine(q, far) + 0.2);
  });
});

describe("fake LM Studio node", () => {
  test("lists its models and answers a chat with usage", async () => {
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual(["chat-a", "embed-a"]);
    const res = await client.chat.completions.create({
      model: "chat-a",
      messages: [{ role: "user", content: "when did I service the bike" }],
    });
    expect(res.choices[0]?.message.content).toBe("Fake answer about: when did I service the bike");
    expect(res.usage?.prompt_tokens).toBe(6);
    expect(res.usage?.total_tokens).toBe((res.usage?.prompt_tokens ?? 0) + (res.usage?.completion_tokens ?? 0));
  });

  test("streams scripted content and split tool-call arguments over SSE, usage last", async () => {
    node.script([{ content: "one two three" }, { tool_calls: [{ name: "query_log", arguments: { sql: "select 1" } }] }]);
    const text: string[] = [];
    let usage: unknown;
    for await (const c of await client.chat.completions.create({
      model: "chat-a",
      messages: [{ role: "user", content: "hi" }],
      stream: true,
      stream_options: { include_usage: true },
    })) {
      text.push(c.choices[0]?.delta.content ?? "");
      if (c.usage) usage = c.usage;
    }
    expect(text.join("")).toBe("one two three");
    expect(usage).toMatchObject({ completion_tokens: 3 });
    let args = "";
    let name = "";
    let finish: string | null | undefined;
    for await (const c of await client.chat.completions.create({
      model: "chat-a",
      messages: [{ role: "user", content: "count" }],
      stream: true,
    })) {
      for (const t of c.choices[0]?.delta.tool_calls ?? []) {
        name ||= t.function?.name ?? "";
        args += t.function?.arguments ?? "";
      }
      finish ??= c.choices[0]?.finish_reason;
    }
    expect(name).toBe("query_log");
    expect(JSON.parse(args)).toEqual({ sql: "select 1" });
    expect(finish).toBe("tool_calls");
    expect(node.requests().map((r) => r.path)).toEqual(["/v1/chat/completions", "/v1/chat/completions"]);
  });

  test("embeds with the built-in embedder, as floats and as base64", async () => {
    const floats = await client.embeddings.create({ model: "embed-a", input: ["bike", "chain"], encoding_format: "float" });
    expect(floats.data[0]?.embedding).toEqual(embedText("bike", 64));
    // The openai client asks for base64 by default and decodes it.
    const decoded = await client.embeddings.create({ model: "embed-a", input: "chain" });
    const expected = embedText("chain", 64);
    for (const [i, v] of (decoded.data[0]?.embedding ?? []).entries()) expect(v).toBeCloseTo(expected[i] ?? 0, 5);
    expect(decoded.data[0]?.embedding).toHaveLength(64);
    const bad = await fetch(`${node.url}/v1/embeddings`, { method: "POST", body: JSON.stringify({ input: [] }) });
    expect(bad.status).toBe(400);
  });

  test("counts concurrent requests and frees them when a slow client gives up", async () => {
    node.configure({ latencyMs: 150 });
    await Promise.all(
      Array.from({ length: 5 }, () => client.chat.completions.create({ model: "chat-a", messages: [{ role: "user", content: "x" }] })),
    );
    expect(node.stats().maxActive).toBe(5);
    expect(node.stats().active).toBe(0);
    node.configure({ latencyMs: 0, hang: true });
    const abort = new AbortController();
    const pending = fetch(`${node.url}/v1/chat/completions`, { method: "POST", body: "{}", signal: abort.signal }).catch(
      (e: Error) => e.name,
    );
    await Bun.sleep(50);
    expect(node.stats().active).toBe(1);
    abort.abort();
    expect(await pending).toBe("AbortError");
    await Bun.sleep(50);
    expect(node.stats().active).toBe(0);
  });

  test("injects failures, mid-stream disconnects, and a down node", async () => {
    node.configure({ failRate: 1, failStatus: 502 });
    const failed = await fetch(`${node.url}/v1/chat/completions`, { method: "POST", body: JSON.stringify({ messages: [] }) });
    expect(failed.status).toBe(502);
    node.configure({ failRate: 0, disconnectAfterTokens: 2 });
    node.script([{ content: "a b c d e" }]);
    const got: string[] = [];
    const broken = (async () => {
      for await (const c of await client.chat.completions.create({ model: "chat-a", messages: [], stream: true }))
        got.push(c.choices[0]?.delta.content ?? "");
    })();
    await expect(broken).rejects.toThrow();
    expect(got.join("")).toBe("a b ");
    node.configure({ down: true });
    expect((await fetch(`${node.url}/v1/models`)).status).toBe(503);
    const control = await fetch(`${node.url}/_fake/stats`);
    expect(((await control.json()) as { failed: number }).failed).toBe(1);
  });
});
