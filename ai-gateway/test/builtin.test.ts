import { afterAll, describe, expect, test } from "bun:test";
import { BUILTIN_MODELS, formatContextEntries } from "@tcc/shared/contracts";
import OpenAI from "openai";
import { extractiveAnswer } from "../src/builtin/extractive";
import { json, startGateway, startGatewayProcess } from "./harness";

// The embedded default: no LM Studio node, no Redis.
const gw = await startGateway({ redis: false, env: { EMBEDDING_DIMS: "384" } });
const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: "unused", maxRetries: 0 });
afterAll(() => gw.close());

const entries = [
  {
    id: "e-bike",
    title: "Serviced the bike",
    date: "2026-03-01T10:00:00Z",
    text: "New chain today. The rear brakes were adjusted at the shop.",
  },
  {
    id: "e-tent",
    title: "Decided on the tent",
    date: "2026-03-14T09:00:00Z",
    text: "Going with the lighter two-person tent. It weighs 1.2 kg.",
  },
];
const withContext = (question: string) => [
  { role: "system" as const, content: `Answer from the user's entries.\n${formatContextEntries(entries)}` },
  { role: "user" as const, content: question },
];

const norm = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

describe("built-in provider", () => {
  test("lists its models", async () => {
    const ids = (await client.models.list()).data.map((m) => m.id);
    expect(ids).toEqual([BUILTIN_MODELS.chat, BUILTIN_MODELS.embedding]);
  });

  test("embeddings are deterministic, unit length, EMBEDDING_DIMS long, in input order", async () => {
    const input = ["Serviced the bike", "Decided on the tent", "Serviced the bike"];
    const a = await client.embeddings.create({ model: BUILTIN_MODELS.embedding, input, encoding_format: "float" });
    const b = await client.embeddings.create({ model: BUILTIN_MODELS.embedding, input: input[1]!, encoding_format: "float" });
    expect(a.data.map((d) => d.index)).toEqual([0, 1, 2]);
    expect(a.data[0]!.embedding).toHaveLength(384);
    expect(a.data[0]!.embedding).toEqual(a.data[2]!.embedding);
    expect(b.data[0]!.embedding).toEqual(a.data[1]!.embedding);
    for (const d of a.data) expect(norm(d.embedding)).toBeCloseTo(1, 9);
    expect(a.usage.prompt_tokens).toBeGreaterThan(0);
  });

  test("base64 embeddings (the openai client's default) decode to the same floats", async () => {
    const f = await client.embeddings.create({ model: BUILTIN_MODELS.embedding, input: "tent", encoding_format: "float" });
    const b64 = await client.embeddings.create({ model: BUILTIN_MODELS.embedding, input: "tent" }); // client decodes base64
    const want = f.data[0]!.embedding;
    const got = b64.data[0]!.embedding;
    expect(got).toHaveLength(want.length);
    for (const [i, x] of got.entries()) expect(x).toBeCloseTo(want[i]!, 6);
  });

  test("chat answers extractively, says no model is configured, and cites the matching entry", async () => {
    const res = await client.chat.completions.create({
      model: BUILTIN_MODELS.chat,
      messages: withContext("When were the brakes adjusted?"),
    });
    const text = res.choices[0]!.message.content!;
    expect(text.startsWith("No language model is configured")).toBe(true);
    expect(text).toContain("“The rear brakes were adjusted at the shop.” [1]");
    expect(text).toContain("[1] Serviced the bike (2026-03-01, entry e-bike)");
    expect(text).not.toContain("e-tent");
    expect(res.usage!.total_tokens).toBe(res.usage!.prompt_tokens + res.usage!.completion_tokens);
  });

  test("the tent question cites the tent entry instead", () => {
    const text = extractiveAnswer(withContext("How heavy is the tent I chose?"));
    expect(text).toContain("It weighs 1.2 kg.");
    expect(text).toContain("[1] Decided on the tent (2026-03-14, entry e-tent)");
  });

  test("without retrieved entries it says nothing in the log matched", async () => {
    const res = await client.chat.completions.create({
      model: BUILTIN_MODELS.chat,
      messages: [{ role: "user", content: "Where is my passport?" }],
    });
    expect(res.choices[0]!.message.content).toBe(
      "No language model is configured, and nothing in your log matched “Where is my passport?”.",
    );
  });

  test("streams the same answer as OpenAI chunks, usage last, then [DONE]; tools are ignored", async () => {
    const messages = withContext("When were the brakes adjusted?");
    const whole = await client.chat.completions.create({ model: BUILTIN_MODELS.chat, messages });
    const stream = await client.chat.completions.create({
      model: BUILTIN_MODELS.chat,
      messages,
      stream: true,
      stream_options: { include_usage: true },
      tools: [{ type: "function", function: { name: "search_entries", parameters: { type: "object", properties: {} } } }],
    });
    let text = "";
    let usage: unknown;
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe(whole.choices[0]!.message.content!);
    expect(finish).toBe("stop");
    expect(usage).toEqual(whole.usage!);
    const raw = await (await gw.post("/v1/chat/completions", { model: BUILTIN_MODELS.chat, messages, stream: true })).text();
    expect(raw.endsWith("data: [DONE]\n\n")).toBe(true);
  });

  test("an unknown model is a 404 in OpenAI's error shape", async () => {
    const res = await gw.post("/v1/chat/completions", { model: "qwen-not-here", messages: [{ role: "user", content: "hi" }] });
    expect(res.status).toBe(404);
    expect((await json(res)).error).toMatchObject({ code: "model_not_found", type: "invalid_request_error" });
  });
});

describe("validation", () => {
  const cases: [string, string, unknown][] = [
    ["malformed JSON", "/v1/chat/completions", "{not json"],
    ["no messages", "/v1/chat/completions", { model: BUILTIN_MODELS.chat, messages: [] }],
    ["model not a string", "/v1/chat/completions", { model: 7, messages: [{ role: "user", content: "x" }] }],
    [
      "temperature out of range",
      "/v1/chat/completions",
      { model: BUILTIN_MODELS.chat, temperature: 9, messages: [{ role: "user", content: "x" }] },
    ],
    ["embeddings without input", "/v1/embeddings", { model: BUILTIN_MODELS.embedding }],
    ["embeddings with an empty list", "/v1/embeddings", { model: BUILTIN_MODELS.embedding, input: [] }],
  ];
  for (const [name, path, body] of cases) {
    test(`${name} is a 400 invalid_request_error`, async () => {
      const res = await gw.post(path, body);
      expect(res.status).toBe(400);
      const { error } = await json(res);
      expect(error.type).toBe("invalid_request_error");
      expect(error.message).toBeString();
    });
  }

  test("a bad priority or deadline header is a 400", async () => {
    const body = { model: BUILTIN_MODELS.chat, messages: [{ role: "user", content: "x" }] };
    expect((await gw.post("/v1/chat/completions", body, { "x-tcc-priority": "urgent" })).status).toBe(400);
    expect((await gw.post("/v1/chat/completions", body, { "x-tcc-deadline-ms": "-5" })).status).toBe(400);
  });

  test("a body over MAX_BODY_BYTES is a 413", async () => {
    const small = await startGateway({ redis: false, env: { MAX_BODY_BYTES: "1024" } });
    try {
      const res = await small.post("/v1/embeddings", { model: BUILTIN_MODELS.embedding, input: "x".repeat(4096) });
      expect(res.status).toBe(413);
    } finally {
      await small.close();
    }
  });
});

describe("auth", () => {
  test("with AI_GATEWAY_TOKEN set, /v1 needs the bearer token; health stays open", async () => {
    const locked = await startGateway({ redis: false, env: { AI_GATEWAY_TOKEN: "s3cret-gateway-token" } });
    try {
      const body = { model: BUILTIN_MODELS.embedding, input: "x" };
      const none = await locked.post("/v1/embeddings", body);
      expect(none.status).toBe(401);
      expect((await json(none)).error.type).toBe("authentication_error");
      expect((await locked.post("/v1/embeddings", body, { authorization: "Bearer wrong" })).status).toBe(401);
      expect((await locked.get("/v1/models")).status).toBe(401);
      expect((await locked.post("/v1/embeddings", body, { authorization: "Bearer s3cret-gateway-token" })).status).toBe(200);
      expect((await locked.get("/healthz")).status).toBe(200);
    } finally {
      await locked.close();
    }
  });
});

describe("process", () => {
  test("started as core's embedded mode starts it: prints its URL, serves, exits 0 on SIGTERM", async () => {
    const proc = await startGatewayProcess({ EMBEDDING_DIMS: "64" });
    try {
      expect(proc.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect((await fetch(`${proc.url}/readyz`)).status).toBe(200);
      const res = await fetch(`${proc.url}/v1/embeddings`, {
        method: "POST",
        body: JSON.stringify({ model: BUILTIN_MODELS.embedding, input: "x" }),
      });
      expect((await json(res)).data[0].embedding).toHaveLength(64);
    } finally {
      expect(await proc.stop()).toBe(0);
    }
  });

  test("a wrong variable names itself and stops start-up", async () => {
    const proc = Bun.spawn([process.execPath, `${import.meta.dir}/../src/main.ts`], {
      env: { PATH: process.env.PATH ?? "", PORT: "0", LMSTUDIO_NODES: "gpu1:1234" },
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(await proc.exited).toBe(1);
    expect(await new Response(proc.stderr).text()).toContain("LMSTUDIO_NODES");
  });
});
