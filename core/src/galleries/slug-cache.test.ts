import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { schema } from "@tcc/db";
import { eq } from "drizzle-orm";
import { type Client, createHarness, type Harness } from "../../test/harness";
import { lookupSlug } from "./slug-cache";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

const slugHits = async () => {
  const metric = await h.services.metrics.cache.get();
  return metric.values.find((v) => v.labels.cache === "gallery-slug" && v.labels.result === "hit")?.value ?? 0;
};

async function shared(a: Client) {
  const g = (await a.post("/v1/galleries", { title: "Cached", visibility: "public" })).body as { id: string; slug: string };
  return g;
}

describe("slug cache of the public gallery read", () => {
  test("a warm read takes the slug from the cache; every kind of change is seen at once", async () => {
    const a = await h.user();
    const g = await shared(a);
    const read = () => h.anon.get(`/v1/public/galleries/${g.slug}`);
    const v1 = await read();
    expect(v1.status).toBe(200);
    const hits = await slugHits();
    expect((await read()).headers.get("x-gallery-version")).toBe(v1.headers.get("x-gallery-version"));
    expect(await slugHits()).toBe(hits + 1);

    expect((await a.patch(`/v1/galleries/${g.id}`, { title: "Renamed" })).status).toBe(200);
    const renamed = await read();
    expect(renamed.body.title).toBe("Renamed");
    expect(Number(renamed.headers.get("x-gallery-version"))).toBe(Number(v1.headers.get("x-gallery-version")) + 1);

    await a.patch(`/v1/galleries/${g.id}`, { password: "letmein please" });
    expect((await read()).status).toBe(401);
    await a.patch(`/v1/galleries/${g.id}`, { password: null, visibility: "private" });
    expect((await read()).status).toBe(404);
    await a.patch(`/v1/galleries/${g.id}`, { visibility: "public" });
    expect((await read()).status).toBe(200);
    expect((await a.del(`/v1/galleries/${g.id}`)).status).toBe(204);
    expect((await read()).status).toBe(404);
  });

  test("a lookup that read the row before a bump committed never caches it past the bump", async () => {
    const a = await h.user();
    const g = await shared(a);
    const s = h.services;
    const g_ = schema.galleries;
    const before = await s.db.primary.select().from(g_).where(eq(g_.slug, g.slug));
    // The reader's database read happened first; the edit commits (and invalidates) before the reader caches.
    const stale = await lookupSlug({ ctx: { s }, input: { slug: g.slug } }, async () => {
      expect((await a.patch(`/v1/galleries/${g.id}`, { title: "Newer" })).status).toBe(200);
      return before[0];
    });
    expect(stale?.version).toBe(before[0]?.version as number); // what that reader saw, as it would without a cache
    const next = await h.anon.get(`/v1/public/galleries/${g.slug}`);
    expect(Number(next.headers.get("x-gallery-version"))).toBe((before[0]?.version as number) + 1);
    expect(next.body.title).toBe("Newer");
  });
});
