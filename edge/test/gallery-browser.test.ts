import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { launchChromium } from "../../core/test/chromium";
import { png } from "../../core/test/png";
import { type Edge, startEdge } from "../local/miniflare";
import { call, type Origin, register, startOrigin, TRUST_SECRET } from "./stack";

// Real core and workerd on a shared machine: a test waits for freshness windows and slow requests.
setDefaultTimeout(30_000);

/** The two fields read from an <img> (the test's tsconfig has no DOM lib). */
type Img = { complete: boolean; naturalWidth: number };
let origin: Origin;
let edge: Edge;

beforeAll(async () => {
  origin = await startOrigin();
  // Fresh for a minute: a browser on a busy machine may take longer than 3 s between two loads.
  edge = await startEdge({ CORE_ORIGIN: origin.url, EDGE_TRUST_SECRET: TRUST_SECRET, GALLERY_FRESH_S: "60" });
}, 60_000);
afterAll(async () => {
  await edge?.stop();
  await origin?.stop();
});

test("/g/{slug} through the edge renders in Chromium with its images; a reload is served from the edge's cache", async () => {
  const owner = await register(edge.url, "browser-edge");
  const g = await call(edge.url, "POST", "/v1/galleries", owner.token, { title: "Edge trip", visibility: "public" });
  expect(g.status).toBe(201);
  const ids: string[] = [];
  for (const [i, colour] of (
    [
      [200, 40, 40],
      [40, 160, 80],
    ] as [number, number, number][]
  ).entries()) {
    const f = await fetch(`${edge.url}/v1/files?name=e${i}.png`, {
      method: "PUT",
      headers: { authorization: `Bearer ${owner.token}`, "content-type": "image/png" },
      body: png(640, 480, colour),
    });
    expect(f.status).toBe(201);
    const id = ((await f.json()) as { id: string }).id;
    ids.push(id);
    expect(
      (await call(edge.url, "POST", `/v1/galleries/${g.body.id}/items`, owner.token, { fileId: id, caption: `Edge ${i + 1}` })).status,
    ).toBe(201);
  }
  for (const id of ids) {
    const deadline = Date.now() + 30_000;
    while (!(await call(edge.url, "GET", `/v1/files/${id}`, owner.token)).body.metadata.derivatives) {
      if (Date.now() > deadline) throw new Error(`no derivatives for ${id} after 30 s`);
      await Bun.sleep(100);
    }
  }

  const browser = await launchChromium();
  try {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1024, height: 768 } });
    const page = await context.newPage();
    const failed: string[] = [];
    page.on("requestfailed", (r) => failed.push(r.url()));
    const path = `/g/${g.body.slug}`;
    const first = await page.goto(`${edge.url}${path}`, { waitUntil: "load" });
    expect(first?.status()).toBe(200);
    expect(await page.title()).toBe("Edge trip");
    const thumbs = page.locator("main.grid figure img");
    expect(await thumbs.count()).toBe(2);
    for (let i = 0; i < 2; i++) {
      const img = thumbs.nth(i);
      await page.waitForFunction((el) => (el as unknown as Img).complete, await img.elementHandle(), { timeout: 10_000 });
      expect(await img.evaluate((el) => (el as unknown as Img).naturalWidth)).toBe(320);
    }
    // The images came through the edge too (signed URLs on the page's own origin).
    expect(origin.seen.some((s) => s.path.startsWith("/v1/public/files/"))).toBe(true);
    expect(failed).toEqual([]);

    const pageViews = origin.count(path);
    const again = await context.newPage();
    const second = await again.goto(`${edge.url}${path}`, { waitUntil: "load" });
    expect([200, 304]).toContain(second?.status() ?? 0);
    expect(await second?.headerValue("x-cache")).toBe("HIT");
    expect(await again.title()).toBe("Edge trip");
    expect(origin.count(path)).toBe(pageViews);
  } finally {
    await browser.close();
  }
}, 120_000);
