import { type FakeNode, startFakeNode } from "../../ai-gateway/fake-node/server";
import { startGateway, type TestGateway } from "../../ai-gateway/test/harness";

/**
 * What core's AI tests talk to: the real AI gateway (on real Redis) in front of a fake LM
 * Studio node, the one stand-in the project allows. Core reaches the gateway over HTTP, as
 * in production; tests script and inspect the node.
 */
export interface AiStack {
  fake: FakeNode;
  gateway: TestGateway;
  /** Core env pointing at the gateway with the fake node's model names. */
  coreEnv: Record<string, string>;
  /** How many requests the gateway has scheduled at this priority (core's x-tcc-priority). */
  scheduled(priority: "interactive" | "batch"): Promise<number>;
  /** Resets the node and waits until the gateway has it in service again (after a `down` test). */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

export const FAKE_MODELS = { chat: "fake-chat", embedding: "fake-embedding" } as const;

/** `models`: more model names the node serves (the gateway routes by model). */
export async function startAiStack(opts: { dims?: number; maxConcurrent?: number; models?: string[] } = {}): Promise<AiStack> {
  const models = [FAKE_MODELS.chat, FAKE_MODELS.embedding, ...(opts.models ?? [])];
  const fake = await startFakeNode({ models, dims: opts.dims ?? 768 });
  const gateway = await startGateway({
    nodes: [{ url: fake.url, maxConcurrent: opts.maxConcurrent ?? 16, models }],
    // Scripted replies differ per test while the requests may not: no exact-match cache.
    env: { AI_CACHE_TTL_S: "0" },
  });
  return {
    fake,
    gateway,
    coreEnv: { AI_GATEWAY_URL: gateway.url, AI_CHAT_MODEL: FAKE_MODELS.chat, AI_EMBEDDING_MODEL: FAKE_MODELS.embedding },
    async scheduled(priority) {
      const text = await (await gateway.get("/metrics")).text();
      const line = text.split("\n").find((l) => l.startsWith(`tcc_ai_queue_wait_seconds_count{priority="${priority}"}`));
      return Number(line?.split(" ").at(-1) ?? 0);
    },
    async reset() {
      fake.reset();
      const until = Date.now() + 5_000;
      while ((await gateway.get("/readyz")).status !== 200) {
        if (Date.now() > until) throw new Error("the gateway did not put the fake node back in service within 5 s");
        await Bun.sleep(20);
      }
    },
    async stop() {
      await gateway.close();
      await fake.stop();
    },
  };
}
