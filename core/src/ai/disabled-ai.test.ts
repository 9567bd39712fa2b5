import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHarness, type Harness } from "../../test/harness";
import { chat } from "../../test/sse";
import { EMBEDDINGS_QUEUE } from "../search/embeddings";

// The harness runs with AI turned off unless a test points it at a gateway: what that means.
let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

describe("AI turned off (DisabledAiClient)", () => {
  test("writes queue no embedding job, and the entry is still saved and found by keyword", async () => {
    expect(h.services.ai.enabled).toBe(false);
    const u = await h.user();
    const created = await u.post("/v1/entries", { title: "Lantern repaired", content: "New wick." });
    expect(created.status).toBe(201);
    expect(await h.services.jobs.counts(EMBEDDINGS_QUEUE)).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 0 });
    const found = await u.get("/v1/search?q=lantern");
    expect(found.body.items.map((i: { entry: { id: string } }) => i.entry.id)).toEqual([created.body.id]);
  });

  test("semantic search and chat answer 503 as with an unreachable gateway; hybrid falls back to keyword", async () => {
    const u = await h.user();
    await u.post("/v1/entries", { title: "Tent decided", content: "The lighter one." });
    const semantic = await u.get("/v1/search?q=tent&mode=semantic");
    expect(semantic.status).toBe(503);
    expect(semantic.body.error.code).toBe("UNAVAILABLE");
    const hybrid = await u.get("/v1/search?q=tent&mode=hybrid");
    expect(hybrid.status).toBe(200);
    expect(hybrid.body.mode).toBe("keyword");
    expect(hybrid.body.degraded).toBe("ai-unavailable");
    expect(hybrid.body.items).toHaveLength(1);
    const asked = await chat(u, { message: "Which tent?" });
    expect(asked.status).toBe(503);
    expect(asked.error.error.code).toBe("UNAVAILABLE");
    // Nothing was stored for the failed question.
    expect((await u.get("/v1/conversations")).body.items).toEqual([]);
  });
});
