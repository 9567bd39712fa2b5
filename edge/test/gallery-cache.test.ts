import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { type Edge, startEdge } from "../local/miniflare";
import { call, type Origin, register, type Session, startOrigin, TRUST_SECRET } from "./stack";

// Real core and workerd on a shared machine: a test waits for freshness windows and slow requests.
setDefaultTimeout(30_000);

// Short enough for a test, long enough that a HIT is plainly a HIT on a busy machine.
const FRESH_S = 2;
let origin: Origin;
/** Two edges, two data centres: each has its own cache and Durable Objects. */
let dcA: Edge;
let dcB: Edge;
let owner: Session;

beforeAll(async () => {
  origin = await startOrigin();
  const vars = { CORE_ORIGIN: origin.url, EDGE_TRUST_SECRET: TRUST_SECRET, GALLERY_FRESH_S: String(FRESH_S) };
  [dcA, dcB] = await Promise.all([startEdge(vars), startEdge(vars)]);
  owner = await register(origin.core.url, "gallery-owner");
}, 90_000);
afterAll(async () => {
  await dcA?.stop();
  await dcB?.stop();
  await origin?.stop();
});

async function gallery(title: string, extra: Record<string, unknown> = {}) {
  const res = await call(origin.core.url, "POST", "/v1/galleries", owner.token, { title, visibility: "public", ...extra });
  expect(res.status).toBe(201);
  return res.body as { id: string; slug: string };
}

const view = async (edge: Edge, path: string, headers: Record<string, string> = {}) => {
  const res = await fetch(`${edge.url}${path}`, { headers });
  return { status: res.status, cache: res.headers.get("x-cache"), headers: res.headers, text: await res.text() };
};

/** Polls `path` on `edge` until `ok` holds; returns how long that took after `since`. */
async function seenWithin(edge: Edge, path: string, ok: (v: Awaited<ReturnType<typeof view>>) => boolean, since: number) {
  for (;;) {
    const v = await view(edge, path);
    if (ok(v)) return Date.now() - since;
    if (Date.now() - since > FRESH_S * 1000 + 5_000)
      throw new Error(`${path} on ${edge.url} never changed: ${v.status} ${v.text.slice(0, 80)}`);
    await Bun.sleep(100);
  }
}

describe("cached public galleries", () => {
  test("a second view is a HIT that never reaches core; the client's If-None-Match gets a 304 from the edge", async () => {
    const g = await gallery("Hit me");
    for (const path of [`/v1/public/galleries/${g.slug}`, `/g/${g.slug}`]) {
      const first = await view(dcA, path);
      expect(first.status).toBe(200);
      expect(first.cache).toBe("MISS");
      expect(first.text).toContain("Hit me");
      expect(origin.count(path)).toBe(1);
      const second = await view(dcA, path);
      expect(second.status).toBe(200);
      expect(second.cache).toBe("HIT");
      expect(second.text).toBe(first.text);
      expect(second.headers.get("etag")).toBe(first.headers.get("etag"));
      // The edge's own Cache-Control: core's hours of stale-while-revalidate reach no client.
      expect(second.headers.get("cache-control")).toBe("public, max-age=0, must-revalidate");
      const conditional = await view(dcA, path, { "if-none-match": first.headers.get("etag") as string });
      expect(conditional.status).toBe(304);
      expect(conditional.text).toBe("");
      expect(origin.count(path)).toBe(1);
    }
  });

  test("after the bound an unchanged gallery is revalidated with its ETag: core answers 304 and the entry is served again", async () => {
    const g = await gallery("Still the same");
    const path = `/v1/public/galleries/${g.slug}`;
    expect((await view(dcA, path)).cache).toBe("MISS");
    await Bun.sleep(FRESH_S * 1000 + 200);
    const again = await view(dcA, path);
    expect(again.status).toBe(200);
    expect(again.cache).toBe("REVALIDATED");
    expect(again.text).toContain("Still the same");
    const asked = origin.seen.filter((s) => s.path === path);
    expect(asked).toHaveLength(2);
    expect(asked[1]?.headers.get("if-none-match")).toBeTruthy();
    expect((await view(dcA, path)).cache).toBe("HIT");
    expect(origin.count(path)).toBe(2);
  });

  test("twenty viewers at once on an expired entry cost core one revalidation, not twenty", async () => {
    const g = await gallery("Crowded");
    const path = `/v1/public/galleries/${g.slug}`;
    expect((await view(dcB, path)).cache).toBe("MISS");
    await Bun.sleep(FRESH_S * 1000 + 200);
    const all = await Promise.all(Array.from({ length: 20 }, () => view(dcB, path)));
    expect(all.every((v) => v.status === 200 && v.text.includes("Crowded"))).toBe(true);
    expect(all.filter((v) => v.cache === "REVALIDATED").length).toBeGreaterThanOrEqual(1);
    expect(origin.count(path) - 1).toBeLessThanOrEqual(2);
  });

  test("an edit shows in both data centres within the bound, with no purge", async () => {
    const g = await gallery("Before the edit");
    const paths = [`/v1/public/galleries/${g.slug}`, `/g/${g.slug}`];
    for (const edge of [dcA, dcB]) for (const p of paths) expect((await view(edge, p)).text).toContain("Before the edit");
    const edited = await call(origin.core.url, "PATCH", `/v1/galleries/${g.id}`, owner.token, { title: "After the edit" });
    expect(edited.status).toBe(200);
    const at = Date.now();
    // Past the bound (plus a round trip, and polling on a busy machine) nowhere serves the old one.
    for (const edge of [dcA, dcB]) {
      for (const p of paths) {
        const took = await seenWithin(edge, p, (v) => v.status === 200 && v.text.includes("After the edit"), at);
        expect(took).toBeLessThan(FRESH_S * 1000 + 3_000);
      }
    }
  });

  test("a gallery made private, or deleted, vanishes from both data centres within the bound", async () => {
    for (const withdraw of ["private", "deleted"] as const) {
      const g = await gallery(`Soon ${withdraw}`);
      const paths = [`/v1/public/galleries/${g.slug}`, `/g/${g.slug}`];
      for (const edge of [dcA, dcB]) for (const p of paths) expect((await view(edge, p)).status).toBe(200);
      const res =
        withdraw === "private"
          ? await call(origin.core.url, "PATCH", `/v1/galleries/${g.id}`, owner.token, { visibility: "private" })
          : await call(origin.core.url, "DELETE", `/v1/galleries/${g.id}`, owner.token);
      expect([200, 204]).toContain(res.status);
      const at = Date.now();
      for (const edge of [dcA, dcB]) {
        for (const p of paths) {
          const took = await seenWithin(edge, p, (v) => v.status === 404, at);
          expect(took).toBeLessThan(FRESH_S * 1000 + 3_000);
          // Gone for good: the entry was dropped, so the next view asks core again and is 404 again.
          const before = origin.count(p);
          expect((await view(edge, p)).status).toBe(404);
          expect(origin.count(p)).toBe(before + 1);
        }
      }
    }
  });

  test("password requests, protected galleries, Authorization and queries are never stored", async () => {
    const open = await gallery("Open one");
    const path = `/v1/public/galleries/${open.slug}`;
    expect((await view(dcB, path)).cache).toBe("MISS");
    // A bearer header or a query goes around the cache, both ways.
    const withAuth = await view(dcB, path, { authorization: "Bearer tcc_anything" });
    expect(withAuth.cache).toBe("BYPASS");
    expect((await view(dcB, `${path}?x=1`)).cache).toBe("BYPASS");
    expect(origin.count(`${path}?x=1`)).toBe(1);

    const locked = await gallery("Locked one", { password: "open sesame 123" });
    const lockedPaths = [`/v1/public/galleries/${locked.slug}`, `/g/${locked.slug}`];
    for (const p of lockedPaths) {
      // No password: core's 401 passes through and is not kept.
      for (let i = 1; i <= 2; i++) {
        const v = await view(dcB, p);
        expect(v.status).toBe(401);
        expect(origin.count(p)).toBe(i);
      }
    }
    const jsonPath = lockedPaths[0] as string;
    for (let i = 1; i <= 2; i++) {
      const v = await view(dcB, jsonPath, { "x-gallery-password": "open sesame 123" });
      expect(v.status).toBe(200);
      expect(v.cache).toBe("BYPASS");
      expect(v.text).toContain("Locked one");
    }
    expect(origin.count(jsonPath)).toBe(4);
    // The page's form POSTs the password (never in the URL): forwarded, never stored.
    const page = `/g/${locked.slug}`;
    for (let i = 1; i <= 2; i++) {
      const res = await fetch(`${dcB.url}${page}`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ password: "open sesame 123" }).toString(),
      });
      expect(res.status).toBe(200);
      expect(await res.text()).toContain("Locked one");
    }
    expect(origin.count(page)).toBe(4);
    // And a password-less view after the right one still gets nothing from a cache.
    expect((await view(dcB, jsonPath)).status).toBe(401);
  });

  test("an unknown slug is core's 404, passed through and not stored", async () => {
    const path = "/v1/public/galleries/no-such-gallery-here";
    for (let i = 1; i <= 2; i++) {
      const v = await view(dcA, path);
      expect(v.status).toBe(404);
      expect(JSON.parse(v.text).error.code).toBe("NOT_FOUND");
      expect(origin.count(path)).toBe(i);
    }
  });
});
