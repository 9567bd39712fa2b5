import { countTokens, embedText } from "../src/builtin/embedder";
import {
  base64Floats,
  chunk,
  completion,
  completionId,
  errorBody,
  type ScriptedReply,
  sse,
  toolCallsOf,
  type Usage,
  usageChunk,
} from "./protocol";

/**
 * A fake LM Studio node: the OpenAI-compatible HTTP protocol LM Studio serves (models, chat
 * with SSE, embeddings), with faults and latency injectable, counting concurrent requests.
 * It stands in for GPU nodes in tests and benchmarks; nothing else in the project is faked.
 */
export interface FakeNodeConfig {
  /** Reported by /v1/models; any model name is accepted on requests. */
  models: string[];
  dims: number;
  /** Delay before the response starts (headers), per request. */
  latencyMs: number;
  /** Streaming pace; 0 sends every token at once. */
  tokensPerSecond: number;
  /** Share of chat/embedding requests answered with failStatus (0..1). */
  failRate: number;
  failStatus: number;
  /** Accept requests and never answer (until the client goes away). */
  hang: boolean;
  /** Streaming only: drop the connection after this many content tokens (0 = never). */
  disconnectAfterTokens: number;
  /** Everything, /v1/models included, answers 503: a node that is down but reachable. */
  down: boolean;
}

export interface FakeNodeStats {
  active: number;
  maxActive: number;
  total: number;
  aborted: number;
  failed: number;
  byPath: Record<string, number>;
}

export interface RecordedRequest {
  path: string;
  body: any;
  headers: Record<string, string>;
}

export interface FakeNode {
  url: string;
  port: number;
  stats(): FakeNodeStats;
  configure(partial: Partial<FakeNodeConfig>): void;
  /** Queues replies for the next chat calls, one per call, in order. */
  script(replies: ScriptedReply[]): void;
  /** The last 100 requests to /v1/chat/completions and /v1/embeddings. */
  requests(): RecordedRequest[];
  /** Back to the start-up config, counters zeroed, script and records cleared. */
  reset(): void;
  stop(): Promise<void>;
}

export const DEFAULT_CONFIG: FakeNodeConfig = {
  models: ["fake-chat", "fake-embedding"],
  dims: 768,
  latencyMs: 0,
  tokensPerSecond: 0,
  failRate: 0,
  failStatus: 500,
  hang: false,
  disconnectAfterTokens: 0,
  down: false,
};

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (ms <= 0 || signal.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    const onAbort = () => {
      clearTimeout(t);
      resolve();
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });

function messageText(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) return content.map((p) => (typeof p?.text === "string" ? p.text : "")).join(" ");
  return "";
}

export function defaultReply(body: any): ScriptedReply {
  const messages: any[] = Array.isArray(body?.messages) ? body.messages : [];
  const lastUser = [...messages].reverse().find((m) => m?.role === "user");
  const words = messageText(lastUser?.content).split(/\s+/).filter(Boolean).slice(0, 8).join(" ");
  return { content: `Fake answer about: ${words}` };
}

export async function startFakeNode(opts: Partial<FakeNodeConfig> & { port?: number; hostname?: string } = {}): Promise<FakeNode> {
  const { port = 0, hostname = "127.0.0.1", ...overrides } = opts;
  const initial: FakeNodeConfig = { ...DEFAULT_CONFIG, ...overrides };
  let config = { ...initial };
  let stats: FakeNodeStats = { active: 0, maxActive: 0, total: 0, aborted: 0, failed: 0, byPath: {} };
  let scripted: ScriptedReply[] = [];
  let recorded: RecordedRequest[] = [];

  const json = (status: number, body: unknown) => Response.json(body, { status });

  function begin(path: string): () => void {
    stats.total++;
    stats.byPath[path] = (stats.byPath[path] ?? 0) + 1;
    stats.active++;
    stats.maxActive = Math.max(stats.maxActive, stats.active);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      stats.active--;
    };
  }

  async function chat(body: any, signal: AbortSignal, end: () => void): Promise<Response> {
    const model = typeof body?.model === "string" ? body.model : (config.models[0] ?? "fake");
    const reply = scripted.shift() ?? defaultReply(body);
    const promptTokens = (Array.isArray(body?.messages) ? body.messages : []).reduce(
      (n: number, m: any) => n + countTokens(messageText(m?.content)),
      0,
    );
    const content = reply.content ?? "";
    const pieces = content.match(/\S+\s*/g) ?? [];
    const usage: Usage = {
      prompt_tokens: promptTokens,
      completion_tokens: pieces.length + (reply.tool_calls?.length ?? 0),
      total_tokens: 0,
    };
    usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
    if (!body?.stream) {
      end();
      return json(200, completion(model, reply, usage));
    }
    const id = completionId();
    const cfg = config;
    const encoder = new TextEncoder();
    const stream = new ReadableStream<Uint8Array>({
      async start(controller) {
        const send = (data: unknown) => controller.enqueue(encoder.encode(sse(data)));
        try {
          send(chunk(id, model, { role: "assistant", content: "" }));
          for (const [i, piece] of pieces.entries()) {
            if (cfg.disconnectAfterTokens > 0 && i >= cfg.disconnectAfterTokens) {
              // Let what was sent reach the client first: a drop mid-stream, not a failed response.
              await sleep(20, signal);
              stats.aborted++;
              controller.error(new Error("fake node dropped the connection"));
              return;
            }
            if (cfg.tokensPerSecond > 0) await sleep(1000 / cfg.tokensPerSecond, signal);
            if (signal.aborted) return;
            send(chunk(id, model, { content: piece }));
          }
          const calls = toolCallsOf(reply);
          for (const [index, call] of calls.entries()) {
            // Arguments arrive in two pieces, as real servers split them, so clients must accumulate.
            const args = call.function.arguments;
            const half = Math.ceil(args.length / 2);
            send(
              chunk(id, model, {
                tool_calls: [
                  { index, id: call.id, type: "function", function: { name: call.function.name, arguments: args.slice(0, half) } },
                ],
              }),
            );
            send(chunk(id, model, { tool_calls: [{ index, function: { arguments: args.slice(half) } }] }));
          }
          send(chunk(id, model, {}, calls.length ? "tool_calls" : "stop"));
          if (body?.stream_options?.include_usage) send(usageChunk(id, model, usage));
          controller.enqueue(encoder.encode(sse("[DONE]")));
          controller.close();
        } catch {
          // The client went away; nothing to send to.
        } finally {
          end();
        }
      },
      cancel() {
        stats.aborted++;
        end();
      },
    });
    return new Response(stream, { headers: { "content-type": "text/event-stream", "cache-control": "no-cache" } });
  }

  function embeddings(body: any, end: () => void): Response {
    end();
    const input: unknown = body?.input;
    const texts =
      typeof input === "string" ? [input] : Array.isArray(input) && input.every((t) => typeof t === "string") ? (input as string[]) : null;
    if (!texts || texts.length === 0) return json(400, errorBody(400, "'input' must be a string or a non-empty array of strings"));
    const base64 = body?.encoding_format === "base64";
    const data = texts.map((t, index) => {
      const vec = embedText(t, config.dims);
      return { object: "embedding", index, embedding: base64 ? base64Floats(vec) : vec };
    });
    const tokens = texts.reduce((n, t) => n + countTokens(t), 0);
    return json(200, {
      object: "list",
      data,
      model: body?.model ?? config.models[0],
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    });
  }

  async function work(req: Request, path: string): Promise<Response> {
    const end = begin(path);
    const signal = req.signal;
    signal.addEventListener(
      "abort",
      () => {
        stats.aborted++;
        end();
      },
      { once: true },
    );
    let body: any;
    try {
      body = await req.json();
    } catch {
      end();
      return json(400, errorBody(400, "body is not JSON"));
    }
    recorded.push({ path, body, headers: Object.fromEntries(req.headers) });
    if (recorded.length > 100) recorded = recorded.slice(-100);
    if (config.hang) {
      await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
      end();
      return new Response(null, { status: 499 });
    }
    await sleep(config.latencyMs, signal);
    if (config.failRate > 0 && Math.random() < config.failRate) {
      stats.failed++;
      end();
      return json(config.failStatus, errorBody(config.failStatus, "injected failure"));
    }
    if (path === "/v1/embeddings") return embeddings(body, end);
    return chat(body, signal, end);
  }

  const server = Bun.serve({
    port,
    hostname,
    idleTimeout: 0,
    async fetch(req) {
      const path = new URL(req.url).pathname;
      if (path.startsWith("/_fake/")) return control(req, path);
      if (config.down) return json(503, errorBody(503, "node is down (injected)"));
      if (req.method === "GET" && path === "/v1/models") {
        return json(200, { object: "list", data: config.models.map((id) => ({ id, object: "model", owned_by: "organization_owner" })) });
      }
      if (req.method === "POST" && (path === "/v1/chat/completions" || path === "/v1/embeddings")) return work(req, path);
      return json(404, errorBody(404, `unexpected endpoint ${req.method} ${path}`));
    },
  });

  async function control(req: Request, path: string): Promise<Response> {
    if (path === "/_fake/stats") return json(200, stats);
    if (path === "/_fake/requests") return json(200, recorded);
    if (req.method !== "POST") return json(405, errorBody(405, "POST"));
    if (path === "/_fake/reset") {
      node.reset();
      return json(200, { ok: true });
    }
    const body = await req.json().catch(() => null);
    if (path === "/_fake/config" && body && typeof body === "object") {
      node.configure(body);
      return json(200, config);
    }
    if (path === "/_fake/script" && Array.isArray(body)) {
      node.script(body);
      return json(200, { queued: scripted.length });
    }
    return json(400, errorBody(400, "bad control request"));
  }

  const node: FakeNode = {
    url: `http://${hostname}:${server.port}`,
    port: server.port as number,
    stats: () => ({ ...stats, byPath: { ...stats.byPath } }),
    configure(partial) {
      config = { ...config, ...partial };
    },
    script(replies) {
      scripted.push(...replies);
    },
    requests: () => [...recorded],
    reset() {
      config = { ...initial };
      stats = { active: 0, maxActive: 0, total: 0, aborted: 0, failed: 0, byPath: {} };
      scripted = [];
      recorded = [];
    },
    async stop() {
      await server.stop(true);
    },
  };
  return node;
}
