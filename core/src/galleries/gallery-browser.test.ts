import { expect, test } from "bun:test";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launchChromium } from "../../test/chromium";
import { png } from "../../test/png";
import { startCore } from "../../test/process";

// PGlite start-up plus a browser launch: generous, but bounded.
const SLOW = 120_000;
/** The two fields read from an <img> (the test's tsconfig has no DOM lib). */
type Img = { complete: boolean; naturalWidth: number };
const SCREENSHOT = join(import.meta.dir, "../../../test-output/gallery.png");

test(
  "the gallery page renders its grid in Chromium and a click enlarges an image, with no script",
  async () => {
    const core = await startCore({ DATA_DIR: mkdtempSync(join(tmpdir(), "tcc-browser-")) });
    let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;
    try {
      const api = async (method: string, path: string, body?: unknown, token?: string, type = "application/json") => {
        const headers: Record<string, string> = { "content-type": type };
        if (token) headers.authorization = `Bearer ${token}`;
        const payload = body instanceof Uint8Array ? body : JSON.stringify(body);
        const res = await fetch(`${core.url}${path}`, { method, headers, body: body === undefined ? undefined : payload });
        return { status: res.status, body: (await res.json()) as any };
      };
      const reg = await api("POST", "/v1/auth/register", { email: "browser@example.test", password: "correct horse battery staple" });
      expect(reg.status).toBe(201);
      const token = reg.body.accessToken as string;
      const g = await api("POST", "/v1/galleries", { title: "Browser trip", visibility: "public" }, token);
      expect(g.status).toBe(201);
      const colours: [number, number, number][] = [
        [220, 60, 60],
        [60, 180, 90],
        [60, 100, 220],
      ];
      const fileIds: string[] = [];
      for (const [i, colour] of colours.entries()) {
        const f = await api("PUT", `/v1/files?name=c${i}.png`, png(800, 600, colour), token, "image/png");
        expect(f.status).toBe(201);
        fileIds.push(f.body.id);
        expect(
          (await api("POST", `/v1/galleries/${g.body.id}/items`, { fileId: f.body.id, caption: `Colour ${i + 1}` }, token)).status,
        ).toBe(201);
      }

      // The embedded server makes the derivatives in process, shortly after each upload answered.
      for (const id of fileIds) {
        const deadline = Date.now() + 30_000;
        while (!(await api("GET", `/v1/files/${id}`, undefined, token)).body.metadata.derivatives) {
          if (Date.now() > deadline) throw new Error(`no derivatives for ${id} after 30 s`);
          await Bun.sleep(100);
        }
      }

      browser = await launchChromium();
      const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1024, height: 768 } });
      const page = await context.newPage();
      const failed: string[] = [];
      page.on("requestfailed", (r) => failed.push(r.url()));
      const res = await page.goto(`${core.url}/g/${g.body.slug}`, { waitUntil: "load" });
      expect(res?.status()).toBe(200);
      expect(await page.title()).toBe("Browser trip");

      // Three thumbnails in the grid, each actually decoded (JS is off for the page, not for evaluate).
      const thumbs = page.locator("main.grid figure img");
      expect(await thumbs.count()).toBe(3);
      for (let i = 0; i < 3; i++) {
        const img = thumbs.nth(i);
        await img.scrollIntoViewIfNeeded();
        await page.waitForFunction((el) => (el as unknown as Img).complete, await img.elementHandle(), { timeout: 10_000 });
        expect(await img.evaluate((el) => (el as unknown as Img).naturalWidth)).toBe(320); // the thumbnail, not the 800 px original
        expect(await img.isVisible()).toBe(true);
      }
      await expect(page.locator("figcaption").first().textContent()).resolves.toBe("Colour 1");
      const lightbox = page.locator("#item-1 img");
      expect(await lightbox.isVisible()).toBe(false);

      mkdirSync(join(SCREENSHOT, ".."), { recursive: true });
      await page.screenshot({ path: SCREENSHOT.replace(".png", "-grid.png") }); // the grid, before the click

      await thumbs.first().click();
      expect(new URL(page.url()).hash).toBe("#item-1");
      await lightbox.waitFor({ state: "visible", timeout: 10_000 });
      await page.waitForFunction((el) => (el as unknown as Img).complete, await lightbox.elementHandle(), { timeout: 10_000 });
      expect(await lightbox.evaluate((el) => (el as unknown as Img).naturalWidth)).toBe(800); // the large view: never upscaled past the original
      const thumbWidth = (await thumbs.first().boundingBox())?.width ?? 0;
      const box = await lightbox.boundingBox();
      expect(thumbWidth).toBeGreaterThan(100);
      expect(box?.width ?? 0).toBeGreaterThan(2 * thumbWidth); // enlarged well past the thumbnail
      expect(failed).toEqual([]);

      await page.screenshot({ path: SCREENSHOT }); // the enlarged image
      expect(Bun.file(SCREENSHOT).size).toBeGreaterThan(1000);
    } finally {
      await browser?.close();
      core.proc.kill("SIGKILL"); // a failed assertion must not leave a server behind
    }
  },
  SLOW,
);
