import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { embedText } from "../../../ai-gateway/src/builtin/embedder";
import { startAiStack } from "../../test/ai-stack";
import { waitEmbedded } from "../../test/embeddings";
import { type Client, createHarness, type Harness, type Res } from "../../test/harness";
import { searchEntriesForChat } from "../chat/retrieval";
import { nearestChunks } from "./vector-search";

const ai = await startAiStack();
const fake = ai.fake;
let h: Harness;
beforeAll(async () => {
  h = await createHarness({ ...ai.coreEnv });
});
afterAll(async () => {
  await h.close();
  await ai.stop();
});
beforeEach(() => ai.reset());

interface Hit {
  entry: { id: string; title: string };
  rank: number;
  similarity?: number;
  highlights: { title: string; snippet: string };
}
type Page = Res<{
  items: Hit[];
  nextCursor: string | null;
  mode: string;
  degraded?: string;
  error?: { code: string; details?: unknown };
}>;

const search = (u: Client, q: string, extra = ""): Promise<Page> => u.get(`/v1/search?q=${encodeURIComponent(q)}${extra}`);

/** Writes entries and waits until their vectors are stored. */
async function write(u: Client, entries: { title: string; content: string; tags?: string[] }[]) {
  const made: Record<string, string> = {};
  for (const e of entries) {
    const res = await u.post("/v1/entries", e);
    expect(res.status).toBe(201);
    made[e.title] = res.body.id;
    await waitEmbedded(h.services, res.body);
  }
  return made;
}

// The built-in embedder stems "running" and "runner" alike; Postgres' English stemmer does not
// ("run" vs "runner"), so keyword search misses what semantic search finds.
const LOG = [
  { title: "Morning", content: "Went running along the river before work.", tags: ["sport"] },
  { title: "Groceries", content: "Bought milk, bread and eggs at the market." },
  { title: "Meeting notes", content: "Budget review with the finance team." },
];

describe("semantic search", () => {
  test("finds an entry by meaning that keyword search misses, with a similarity and the matching chunk", async () => {
    const u = await h.user();
    const ids = await write(u, LOG);
    expect((await search(u, "runner")).body.items).toEqual([]);

    const interactiveBefore = await ai.scheduled("interactive");
    const res = await search(u, "runner", "&mode=semantic");
    expect(res.status).toBe(200);
    expect(res.headers.get("x-tcc-search-mode")).toBe("semantic");
    expect(res.body.mode).toBe("semantic");
    expect(res.body.nextCursor).toBeNull();
    const [best, ...rest] = res.body.items;
    expect(best?.entry.id).toBe(ids.Morning as string);
    expect(best?.highlights.snippet).toBe("Went running along the river before work.");
    expect(best?.similarity).toBeGreaterThan(0.2);
    for (const other of rest) expect(other.rank).toBeLessThan(best?.rank as number);
    // Nearest is not related: entries sharing nothing with the query are not results.
    expect(rest).toEqual([]);
    expect((await search(u, "zebra xylophone", "&mode=semantic")).body.items).toEqual([]);
    // The query was embedded at interactive priority, for this user.
    const call = fake.requests().find((r) => r.path === "/v1/embeddings" && r.body.input[0] === "runner");
    expect(call).toBeDefined();
    expect(await ai.scheduled("interactive")).toBeGreaterThan(interactiveBefore);
    expect(call?.body.user).toBe(u.info.id);
  });

  test("filters apply, trashed entries are gone, and limit caps the page", async () => {
    const u = await h.user();
    const ids = await write(u, LOG);
    const tagged = await search(u, "runner", "&mode=semantic&tag=sport");
    expect(tagged.body.items.map((i) => i.entry.id)).toEqual([ids.Morning as string]);
    expect((await search(u, "runner OR review", "&mode=semantic")).body.items).toHaveLength(2);
    expect((await search(u, "runner OR review", "&mode=semantic&limit=1")).body.items).toHaveLength(1);
    expect((await u.del(`/v1/entries/${ids.Morning}`)).status).toBe(204);
    const after = await search(u, "runner", "&mode=semantic");
    expect(after.body.items.map((i) => i.entry.id)).not.toContain(ids.Morning as string);
  });

  test("hybrid finds by meaning and by keyword, fused", async () => {
    const u = await h.user();
    const ids = await write(u, [...LOG, { title: "Unrelated", content: "Painted the fence green." }]);
    const res = await search(u, "runner OR review", "&mode=hybrid");
    expect(res.status).toBe(200);
    expect(res.body.mode).toBe("hybrid");
    const order = res.body.items.map((i) => i.entry.id);
    // Meeting notes is on both lists (keyword and meaning), Morning only on the vector list: both ahead of the rest.
    expect(order.slice(0, 2)).toEqual([ids["Meeting notes"], ids.Morning] as string[]);
    const byId = new Map(res.body.items.map((i) => [i.entry.id, i]));
    expect(byId.get(ids["Meeting notes"] as string)?.highlights.snippet).toContain("<mark>review</mark>");
    expect(byId.get(ids.Morning as string)?.highlights.snippet).toBe("Went running along the river before work.");
    // Reciprocal rank fusion: on both lists scores more than the best place on one list can.
    expect(res.body.items[0]?.rank).toBeGreaterThan(1 / 61);
    expect(res.body.items[1]?.rank).toBeLessThanOrEqual(1 / 61);
    expect((await search(u, "runner", "&mode=keyword")).body.items).toEqual([]);
  });

  test("another user's closer vectors are never returned, however many there are", async () => {
    const a = await h.user();
    const b = await h.user();
    const mine = await write(a, LOG);
    // B owns many vectors nearer to the query than anything of A's.
    for (let i = 0; i < 40; i++) {
      const res = await b.post("/v1/entries", { title: `runner ${i}`, content: "runner runner running runners" });
      expect(res.status).toBe(201);
      if (i === 39) await waitEmbedded(h.services, res.body);
    }
    const allowed = new Set(Object.values(mine));
    for (const mode of ["semantic", "hybrid"]) {
      const res = await search(a, "runner", `&mode=${mode}&limit=100`);
      expect(res.status).toBe(200);
      // Only A's entry that is about running: A's unrelated entries fall below SEARCH_MIN_SIMILARITY.
      expect(res.body.items.map((i) => i.entry.id)).toEqual([mine.Morning as string]);
    }
    // The HNSW path (iterative index scan), not only the exact scan small users get: still complete and A's only.
    const ctx = { userId: a.info.id, s: h.services };
    const hits = await nearestChunks({ ctx, input: { vector: embedText("runner", 768), k: 3, exactScanMaxChunks: 0 } });
    expect(hits.map((x) => x.entryId).sort()).toEqual([...allowed].sort());
    // And chat retrieval: A's entries only, in the contract's shape.
    const context = await searchEntriesForChat({ ctx, input: { query: "runner", limit: 10 } });
    expect(context.length).toBe(1);
    expect(context[0]).toMatchObject({ id: mine.Morning, title: "Morning", text: "Went running along the river before work." });
    expect(context[0]?.date).toMatch(/^\d{4}-\d\d-\d\dT/);
    for (const c of context) expect(allowed.has(c.id)).toBe(true);
  });

  test("validation: unknown mode, limits, a cursor outside keyword mode, a missing query", async () => {
    const u = await h.user();
    for (const qs of [
      "q=x&mode=fuzzy",
      "q=x&mode=semantic&limit=0",
      "q=x&mode=hybrid&limit=101",
      "q=x&mode=semantic&cursor=abc",
      "mode=semantic",
    ]) {
      const res = await u.get(`/v1/search?${qs}`);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe("VALIDATION_FAILED");
    }
    expect((await h.anon.get("/v1/search?q=x&mode=semantic")).status).toBe(401);
  });

  test("with the AI gateway down: semantic answers 503, hybrid falls back to keyword and says so", async () => {
    const u = await h.user();
    const ids = await write(u, LOG);
    fake.configure({ down: true });
    const semantic = await search(u, "review", "&mode=semantic");
    expect(semantic.status).toBe(503);
    expect(semantic.body.error?.code).toBe("UNAVAILABLE");
    expect(semantic.body.error?.details).toMatchObject({ service: "ai-gateway", reason: "ai-unavailable" });
    const hybrid = await search(u, "review", "&mode=hybrid");
    expect(hybrid.status).toBe(200);
    expect(hybrid.body.mode).toBe("keyword");
    expect(hybrid.body.degraded).toBe("ai-unavailable");
    expect(hybrid.headers.get("x-tcc-search-mode")).toBe("keyword");
    expect(hybrid.body.items.map((i) => i.entry.id)).toEqual([ids["Meeting notes"] as string]);
    // Chat retrieval degrades the same way.
    const context = await searchEntriesForChat({ ctx: { userId: u.info.id, s: h.services }, input: { query: "review", limit: 5 } });
    expect(context.map((c) => c.id)).toEqual([ids["Meeting notes"] as string]);

    await ai.reset(); // the gateway puts the node back in service after its next health check
    fake.configure({ failRate: 1, failStatus: 429 });
    const quota = await search(u, "review", "&mode=semantic");
    expect(quota.status).toBe(429);
    expect(quota.body.error?.code).toBe("RATE_LIMITED");
    fake.configure({ failRate: 0 });
    expect((await search(u, "review", "&mode=semantic")).status).toBe(200);
  });
});
