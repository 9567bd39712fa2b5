import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { startFakeNode } from "../fake-node/server";
import { chatBody, json, startGateway, unique, waitFor } from "./harness";

const node = await startFakeNode({ models: ["chat-a", "embed-a"], dims: 32 });
const gw = await startGateway({ nodes: [{ url: node.url, maxConcurrent: 4 }] });
afterAll(async () => {
  await gw.close();
  await node.stop();
});
beforeEach(() => node.reset());

/** SSE events with the per-response id and timestamp blanked, so two answers can be compared. */
const events = (sse: string) =>
  sse
    .split("\n\n")
    .filter(Boolean)
    .map((e) => e.replace(/"id":"[^"]*"/, '"id":"-"').replace(/"created":\d+/, '"created":0'));

describe("forwarding to an LM Studio node", () => {
  test("models come from the node's /v1/models, next to the built-in ones", async () => {
    const ids = (await json(await gw.get("/v1/models"))).data.map((m: { id: string }) => m.id);
    expect(ids).toEqual(expect.arrayContaining(["chat-a", "embed-a", "tcc-builtin-extractive"]));
  });

  test("a chat goes through unchanged, with the caller's user and usage counted", async () => {
    const user = unique("u");
    const body = chatBody("chat-a", "how far did I run", { max_tokens: 50, custom_field: "kept" });
    const res = await gw.post("/v1/chat/completions", body, { "x-tcc-user": user });
    expect(res.status).toBe(200);
    const answer = await json(res);
    expect(answer.choices[0].message.content).toBe("Fake answer about: how far did I run");
    expect(node.requests()[0]?.body).toEqual(body); // forwarded as sent, unknown fields included
    await gw.services.accounting.flush();
    expect(await gw.services.accounting.spentToday(user)).toBe(answer.usage.total_tokens);
  });

  test("SSE comes through intact: the same events as calling the node directly", async () => {
    const body = chatBody("chat-a", "stream me", { stream: true, stream_options: { include_usage: true } });
    node.script([{ content: "one two three four" }, { content: "one two three four" }]);
    const direct = await (await fetch(`${node.url}/v1/chat/completions`, { method: "POST", body: JSON.stringify(body) })).text();
    const res = await gw.post("/v1/chat/completions", body);
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const through = await res.text();
    expect(events(through)).toEqual(events(direct));
    expect(events(through).length).toBe(8); // role, 4 tokens, stop, usage, [DONE]
    expect(through.endsWith("data: [DONE]\n\n")).toBe(true);
  });

  test("a node's 4xx is passed back as the node said it, without retrying", async () => {
    const res = await gw.post("/v1/embeddings", { model: "embed-a", input: [[1, 2, 3]] }); // token arrays: the fake node refuses them
    expect(res.status).toBe(400);
    expect((await json(res)).error.message).toContain("input");
    expect(node.stats().byPath["/v1/embeddings"]).toBe(1);
  });

  test("/metrics reports latency, tokens and node health", async () => {
    await gw.post("/v1/chat/completions", chatBody("chat-a", "metrics please"));
    const text = await (await gw.get("/metrics")).text();
    expect(text).toMatch(/tcc_ai_response_duration_seconds_count\{model="chat-a",endpoint="chat"\} [1-9]/);
    expect(text).toMatch(/tcc_ai_tokens_total\{model="chat-a",type="completion"\} [1-9]/);
    expect(text).toContain(`tcc_ai_node_healthy{node="${node.url}"} 1`);
    expect(text).toContain("tcc_ai_queue_depth");
  });
});

describe("cache", () => {
  test("a deterministic chat (temperature 0) is answered from Redis the second time", async () => {
    const body = chatBody("chat-a", unique("cache me"), { temperature: 0 });
    const first = await gw.post("/v1/chat/completions", body);
    expect(first.headers.get("x-tcc-cache")).toBe("miss");
    const second = await gw.post("/v1/chat/completions", body);
    expect(second.headers.get("x-tcc-cache")).toBe("hit");
    expect(await second.text()).toBe(await first.text());
    expect(node.stats().byPath["/v1/chat/completions"]).toBe(1);
  });

  test("sampling requests are never cached", async () => {
    const body = chatBody("chat-a", unique("sample me"), { temperature: 0.7 });
    for (let i = 0; i < 2; i++) expect((await gw.post("/v1/chat/completions", body)).headers.get("x-tcc-cache")).toBeNull();
    expect(node.stats().byPath["/v1/chat/completions"]).toBe(2);
  });

  test("embeddings are cached per input: only new texts go upstream", async () => {
    const [a, b, c] = [unique("alpha"), unique("beta"), unique("gamma")];
    const first = await gw.post("/v1/embeddings", { model: "embed-a", input: [a, b], encoding_format: "float" });
    expect(first.headers.get("x-tcc-cache")).toBe("miss");
    const firstBody = await json(first);
    const second = await gw.post("/v1/embeddings", { model: "embed-a", input: [b, c, a], encoding_format: "float" });
    expect(second.headers.get("x-tcc-cache")).toBe("miss");
    const secondBody = await json(second);
    expect(node.requests().map((r) => r.body.input)).toEqual([[a, b], [c]]);
    expect(secondBody.data[0].embedding).toEqual(firstBody.data[1].embedding);
    expect(secondBody.data[2].embedding).toEqual(firstBody.data[0].embedding);
    const third = await gw.post("/v1/embeddings", { model: "embed-a", input: [c, a], encoding_format: "float" });
    expect(third.headers.get("x-tcc-cache")).toBe("hit");
    expect(node.requests()).toHaveLength(2);
  });
});

describe("quota", () => {
  test("a user past the daily token quota gets a clear 429 until UTC midnight; others go on", async () => {
    const limited = await startGateway({ nodes: [{ url: node.url, maxConcurrent: 4 }], env: { AI_DAILY_TOKEN_QUOTA: "30" } });
    try {
      const [heavy, other] = [unique("heavy"), unique("other")];
      const ask = (user: string) =>
        limited.post("/v1/chat/completions", chatBody("chat-a", "one two three four five six seven eight nine ten eleven"), {
          "x-tcc-user": user,
        });
      expect((await ask(heavy)).status).toBe(200); // 11 prompt + 11 completion = 22 tokens, under 30
      expect((await ask(heavy)).status).toBe(200); // 44 now: over
      const refused = await ask(heavy);
      expect(refused.status).toBe(429);
      const retry = Number(refused.headers.get("retry-after"));
      const now = new Date();
      const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
      expect(Math.abs(retry - (midnight - now.getTime()) / 1000)).toBeLessThan(5);
      const { error } = await json(refused);
      expect(error).toMatchObject({ code: "quota_exceeded", type: "rate_limit_error" });
      expect(error.message).toContain("Daily AI token quota spent");
      expect(node.stats().total).toBe(2);
      expect((await ask(other)).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});

describe("failures", () => {
  test("5xx before the first byte is retried on the other node", async () => {
    const bad = await startFakeNode({ models: ["chat-a"], failRate: 1, failStatus: 503 });
    const two = await startGateway({ nodes: [{ url: bad.url }, { url: node.url }] });
    try {
      for (let i = 0; i < 6; i++) expect((await two.post("/v1/chat/completions", chatBody("chat-a", `try ${i}`))).status).toBe(200);
      expect(node.stats().total).toBe(6);
      expect(bad.stats().failed).toBeGreaterThan(0);
    } finally {
      await two.close();
      await bad.stop();
    }
  });

  test("a node that dies mid-run is taken out; requests keep succeeding on the other, and it comes back", async () => {
    const flaky = await startFakeNode({ models: ["chat-a"], latencyMs: 5 });
    const two = await startGateway({ nodes: [{ url: flaky.url }, { url: node.url }] });
    try {
      const run = (n: number) =>
        Promise.all(Array.from({ length: n }, (_, i) => two.post("/v1/chat/completions", chatBody("chat-a", `run ${i}`))));
      expect((await run(10)).map((r) => r.status)).toEqual(Array(10).fill(200));
      expect(flaky.stats().total).toBeGreaterThan(0);
      flaky.configure({ down: true }); // every request now 503s, /v1/models too
      const during = await run(20);
      expect(during.map((r) => r.status)).toEqual(Array(20).fill(200));
      await waitFor(() => !two.services.pool.nodes[0]!.healthy);
      expect((await two.get("/readyz")).status).toBe(200); // one node still serves
      flaky.configure({ down: false });
      await waitFor(() => two.services.pool.nodes[0]!.healthy);
    } finally {
      await two.close();
      await flaky.stop();
    }
  });

  test("a connection refused is retried elsewhere and the dead node marked out", async () => {
    const gone = await startFakeNode({ models: ["chat-a"] });
    const two = await startGateway({ nodes: [{ url: gone.url }, { url: node.url }], env: { AI_HEALTH_INTERVAL_MS: "60000" } });
    try {
      await gone.stop();
      for (let i = 0; i < 4; i++) expect((await two.post("/v1/chat/completions", chatBody("chat-a", `after ${i}`))).status).toBe(200);
      expect(two.services.pool.nodes[0]!.healthy).toBe(false);
      const metrics = await (await two.get("/metrics")).text();
      expect(metrics).toContain(`tcc_ai_upstream_errors_total{node="${gone.url}",kind="connection"} 1`);
    } finally {
      await two.close();
    }
  });

  test("with every node down the answer is 503 and /readyz says so", async () => {
    const down = await startFakeNode({ models: ["chat-a"], down: true });
    const lone = await startGateway({ nodes: [{ url: down.url, models: ["chat-a"] }] });
    try {
      const res = await lone.post("/v1/chat/completions", chatBody("chat-a", "anyone?"));
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBe("5");
      expect((await lone.get("/readyz")).status).toBe(503);
    } finally {
      await lone.close();
      await down.stop();
    }
  });

  test("a node that hangs is given up at the deadline: 504, and the upstream request is cancelled", async () => {
    node.configure({ hang: true });
    const started = Date.now();
    const res = await gw.post("/v1/chat/completions", chatBody("chat-a", "hello?"), { "x-tcc-deadline-ms": "150" });
    expect(res.status).toBe(504);
    expect((await json(res)).error.code).toBe("deadline_exceeded");
    expect(Date.now() - started).toBeLessThan(1_000);
    await waitFor(() => node.stats().active === 0);
    expect(node.stats().total).toBe(1); // a timeout is not retried: the deadline is spent
    await waitFor(() => gw.services.pool.nodes[0]!.active === 0);
  });

  test("a stream cut off mid-way is not retried: the client sees it break", async () => {
    node.configure({ disconnectAfterTokens: 2 });
    node.script([{ content: "alpha beta gamma delta epsilon" }]);
    const res = await gw.post("/v1/chat/completions", chatBody("chat-a", "cut me", { stream: true }));
    expect(res.status).toBe(200);
    let received = "";
    let broke = false;
    try {
      received = await res.text();
    } catch {
      broke = true;
    }
    expect(broke || !received.includes("[DONE]")).toBe(true);
    expect(node.stats().total).toBe(1);
    await waitFor(() => gw.services.pool.nodes[0]!.active === 0);
  });

  test("a client that disconnects mid-stream cancels the upstream request and frees the slot", async () => {
    const one = await startGateway({ nodes: [{ url: node.url, maxConcurrent: 1 }] });
    try {
      node.configure({ tokensPerSecond: 20 });
      node.script([{ content: "slow ".repeat(200) }]);
      const abort = new AbortController();
      const res = await one.post("/v1/chat/completions", chatBody("chat-a", "long story", { stream: true }), {}, abort.signal);
      const reader = res.body!.getReader();
      await reader.read();
      expect(node.stats().active).toBe(1);
      abort.abort();
      await waitFor(() => node.stats().active === 0);
      expect(node.stats().aborted).toBeGreaterThan(0);
      await waitFor(() => one.services.pool.nodes[0]!.active === 0);
      node.configure({ tokensPerSecond: 0 });
      // The only slot is free again: the next request is served at once.
      const next = await one.post("/v1/chat/completions", chatBody("chat-a", "after"), { "x-tcc-deadline-ms": "2000" });
      expect(next.status).toBe(200);
    } finally {
      await one.close();
    }
  });
});
