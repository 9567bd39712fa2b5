import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Client, createHarness, expectValidationError, type Harness } from "../../test/harness";

// Behind a proxy we run, so each test can speak from addresses of its own.
let h: Harness;
beforeAll(async () => {
  h = await createHarness({ TRUST_PROXY: "true", GALLERY_PASSWORD_IP_MAX_FAILURES: "4", GALLERY_PASSWORD_MAX_FAILURES: "10" });
});
afterAll(() => h.close());

let n = 0;
/** An address no other test (or earlier run against the same Redis) has used. */
const freshIp = () => `10.${process.pid % 250}.${Math.floor(Date.now() / 1000) % 250}.${++n}`;

async function protectedGallery(u: Client, password = "open sesame") {
  const res = await u.post("/v1/galleries", { title: "Locked", visibility: "public", password });
  expect(res.status).toBe(201);
  return res.body as { id: string; slug: string };
}
const guess = (slug: string, password: string, ip: string) =>
  h.anon.get(`/v1/public/galleries/${slug}`, { "x-gallery-password": password, "x-forwarded-for": ip });
const count = (statuses: number[], status: number) => statuses.filter((s) => s === status).length;

describe("gallery passwords", () => {
  test("must be at least 8 characters, on create and on update", async () => {
    const a = await h.user();
    expectValidationError(await a.post("/v1/galleries", { title: "x", password: "1234567" }));
    const g = await protectedGallery(a, "12345678");
    expectValidationError(await a.patch(`/v1/galleries/${g.id}`, { password: "abcd" }));
    expect((await a.patch(`/v1/galleries/${g.id}`, { password: "long enough" })).status).toBe(200);
  }, 60_000);

  test("parallel guesses from one address: at most the per-address limit are checked, the rest 429", async () => {
    const a = await h.user();
    const g = await protectedGallery(a);
    const ip = freshIp();
    const results = await Promise.all(Array.from({ length: 16 }, (_, i) => guess(g.slug, `wrong guess ${i}`, ip)));
    const statuses = results.map((r) => r.status);
    expect(count(statuses, 401)).toBe(4);
    expect(count(statuses, 429)).toBe(12);
    const refused = results.find((r) => r.status === 429);
    expect(refused?.body.error.code).toBe("RATE_LIMITED");
    expect(Number(refused?.headers.get("retry-after"))).toBeGreaterThan(0);
    // That address is locked out, even with the right password; another address is not.
    expect((await guess(g.slug, "open sesame", ip)).status).toBe(429);
    expect((await guess(g.slug, "open sesame", freshIp())).status).toBe(200);
  }, 60_000);

  test("parallel guesses from many addresses: at most the per-gallery limit are checked", async () => {
    const a = await h.user();
    const g = await protectedGallery(a);
    const other = await protectedGallery(a, "another secret");
    const results = await Promise.all(Array.from({ length: 24 }, (_, i) => guess(g.slug, `wrong guess ${i}`, freshIp())));
    const statuses = results.map((r) => r.status);
    expect(count(statuses, 401)).toBe(10);
    expect(count(statuses, 429)).toBe(14);
    expect((await guess(g.slug, "open sesame", freshIp())).status).toBe(429);
    // Another gallery of the same owner is unaffected.
    expect((await guess(other.slug, "another secret", freshIp())).status).toBe(200);
  }, 60_000);

  test("right passwords do not count towards either limit", async () => {
    const a = await h.user();
    const g = await protectedGallery(a);
    const ip = freshIp();
    // A check in flight holds a slot (that is what stops parallel guesses), so up to the limit at once.
    for (let round = 0; round < 3; round++) {
      const results = await Promise.all(Array.from({ length: 4 }, () => guess(g.slug, "open sesame", ip)));
      expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    }
    for (let i = 0; i < 4; i++) expect((await guess(g.slug, `wrong one ${i}`, ip)).status).toBe(401);
    expect((await guess(g.slug, "wrong again", ip)).status).toBe(429);
  }, 60_000);

  test("the HTML form's guesses share the limits and end in a 429 page", async () => {
    const a = await h.user();
    const g = await protectedGallery(a);
    const ip = freshIp();
    const post = (password: string) =>
      h.anon.fetch("POST", `/g/${g.slug}`, new URLSearchParams({ password }).toString(), {
        "content-type": "application/x-www-form-urlencoded",
        "x-forwarded-for": ip,
      });
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => post(`wrong guess ${i}`)));
    const statuses = results.map((r) => r.status);
    expect(count(statuses, 401)).toBe(4);
    expect(count(statuses, 429)).toBe(4);
    const page = results.find((r) => r.status === 429);
    expect(page?.headers.get("content-type")).toContain("text/html");
    expect(await page?.text()).toContain("Too many wrong passwords");
  }, 60_000);
});
