import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createHash } from "node:crypto";
import { type AiStack, startAiStack } from "../../core/test/ai-stack";
import { type Edge, startEdge } from "../local/miniflare";
import { call, type Origin, register, startOrigin, TRUST_SECRET } from "./stack";

// Real core and workerd on a shared machine: a test waits for freshness windows and slow requests.
setDefaultTimeout(30_000);

let ai: AiStack;
let origin: Origin;
let edge: Edge;

beforeAll(async () => {
  ai = await startAiStack();
  origin = await startOrigin(ai.coreEnv);
  edge = await startEdge({ CORE_ORIGIN: origin.url, EDGE_TRUST_SECRET: TRUST_SECRET });
}, 90_000);
afterAll(async () => {
  await edge?.stop();
  await origin?.stop();
  await ai?.stop();
});

describe("forwarding", () => {
  test("the assistant's answer (SSE) arrives through the edge chunk by chunk, as core sends it", async () => {
    const a = await register(edge.url, "edge-sse");
    ai.fake.configure({ tokensPerSecond: 20 });
    ai.fake.script([{ content: Array.from({ length: 16 }, (_, i) => `word${i}`).join(" ") }]);
    const res = await fetch(`${edge.url}/v1/chat`, {
      method: "POST",
      headers: { authorization: `Bearer ${a.token}`, "content-type": "application/json" },
      body: JSON.stringify({ message: "Tell me a story" }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toStartWith("text/event-stream");
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const arrivals: { at: number; text: string }[] = [];
    const decoder = new TextDecoder();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      arrivals.push({ at: Date.now(), text: decoder.decode(value, { stream: true }) });
    }
    const all = arrivals.map((a) => a.text).join("");
    expect(all).toContain("event: done");
    const deltaChunks = arrivals.filter((a) => a.text.includes("event: delta"));
    expect(deltaChunks.length).toBeGreaterThanOrEqual(4);
    // 16 tokens at 20/s: streamed, the first delta is well ahead of the end.
    const first = deltaChunks[0]?.at ?? 0;
    expect((arrivals.at(-1)?.at ?? 0) - first).toBeGreaterThanOrEqual(400);
    ai.fake.reset();
  }, 30_000);

  test("an upload streams through the edge to core, byte for byte", async () => {
    const a = await register(edge.url, "edge-upload");
    const chunk = new Uint8Array(256 * 1024);
    const hash = createHash("sha256");
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 12) return controller.close();
        chunk.fill(sent + 1);
        hash.update(chunk);
        controller.enqueue(chunk.slice());
        sent++;
      },
    });
    const res = await fetch(`${edge.url}/v1/files?name=stream.bin`, {
      method: "PUT",
      headers: { authorization: `Bearer ${a.token}`, "content-type": "application/octet-stream" },
      body,
      duplex: "half",
    } as RequestInit);
    expect(res.status).toBe(201);
    const file = (await res.json()) as { size: number; sha256: string };
    expect(file.size).toBe(12 * 256 * 1024);
    expect(file.sha256).toBe(hash.digest("hex"));
  }, 30_000);

  test("core down: a clean 502 in the error envelope", async () => {
    const gone = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") });
    const port = gone.port;
    gone.stop(true);
    const lonely = await startEdge({ CORE_ORIGIN: `http://127.0.0.1:${port}` });
    try {
      const res = await call(lonely.url, "GET", "/v1/entries");
      expect(res.status).toBe(502);
      expect(res.body.error).toMatchObject({ code: "UNAVAILABLE", message: "The origin could not be reached" });
      expect(res.body.error.requestId).toBe(res.headers.get("x-request-id"));
    } finally {
      await lonely.stop();
    }
  }, 30_000);

  test("core too slow: 504 after ORIGIN_TIMEOUT_S, in the envelope", async () => {
    const slow = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      idleTimeout: 0,
      fetch: () => Bun.sleep(5_000).then(() => new Response("late")),
    });
    const edgeSlow = await startEdge({ CORE_ORIGIN: `http://127.0.0.1:${slow.port}`, ORIGIN_TIMEOUT_S: "1" });
    try {
      const started = Date.now();
      const res = await call(edgeSlow.url, "GET", "/v1/entries");
      expect(res.status).toBe(504);
      expect(res.body.error.code).toBe("UNAVAILABLE");
      expect(Date.now() - started).toBeLessThan(4_000);
    } finally {
      await edgeSlow.stop();
      slow.stop(true);
    }
  }, 30_000);
});
