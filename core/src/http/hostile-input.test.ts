import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Client, createHarness, expectValidationError, type Harness, type Res } from "../../test/harness";

let h: Harness;
let u: Client;
beforeAll(async () => {
  h = await createHarness();
  u = await h.user();
});
afterAll(() => h.close());

const cursor = (v: string, id = "0190c0de-0000-7000-8000-000000000000") => Buffer.from(JSON.stringify([v, id])).toString("base64url");
const q = encodeURIComponent;

/** A 400 envelope naming `path` among its details. */
function expectInvalid(res: Res, path?: string) {
  expectValidationError(res);
  expect(res.body.error.requestId).toEqual(expect.any(String));
  if (path) expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(path);
}

describe("timestamps Postgres or JavaScript would refuse are 400s, not 500s", () => {
  const outside = ["0000-01-01T00:00:00Z", "0099-12-31T23:59:59Z", "9999-12-31T23:59:59-14:00", "0100-01-01T00:00:00+00:01"];

  test("occurredAt on create and update", async () => {
    const { body: entry } = await u.post("/v1/entries", { title: "dated" });
    for (const occurredAt of outside) {
      expectInvalid(await u.post("/v1/entries", { title: "year zero", occurredAt }), "occurredAt");
      expectInvalid(await u.patch(`/v1/entries/${entry.id}`, { occurredAt }), "occurredAt");
    }
    expect((await u.get("/v1/entries?limit=100")).body.items.map((e: { title: string }) => e.title)).not.toContain("year zero");
  });

  test("the edges of the range are stored and read back, and their cursors page on", async () => {
    const v = await h.user();
    const early = await v.post("/v1/entries", { title: "early", occurredAt: "0100-01-01T00:00:00Z" });
    const late = await v.post("/v1/entries", { title: "late", occurredAt: "9999-12-31T23:59:59.999Z" });
    expect([early.status, late.status]).toEqual([201, 201]);
    expect(early.body.occurredAt).toBe("0100-01-01T00:00:00.000Z");
    const first = await v.get("/v1/entries?limit=1");
    expect(first.body.items[0].id).toBe(late.body.id);
    const second = await v.get(`/v1/entries?limit=1&cursor=${first.body.nextCursor}`);
    expect(second.status).toBe(200);
    expect(second.body.items[0].id).toBe(early.body.id);
  });

  test("from and to on the entry list and search", async () => {
    for (const t of outside) {
      expectInvalid(await u.get(`/v1/entries?from=${q(t)}`), "from");
      expectInvalid(await u.get(`/v1/entries?to=${q(t)}`), "to");
      expectInvalid(await u.get(`/v1/search?q=bike&from=${q(t)}`), "from");
    }
  });

  test("expiresAt of API keys and galleries", async () => {
    for (const expiresAt of outside) {
      expectInvalid(await u.post("/v1/api-keys", { name: "k", scopes: ["entries:read"], expiresAt }), "expiresAt");
      expectInvalid(await u.post("/v1/galleries", { title: "g", expiresAt }), "expiresAt");
    }
    const { body: gallery } = await u.post("/v1/galleries", { title: "g" });
    expectInvalid(await u.patch(`/v1/galleries/${gallery.id}`, { expiresAt: "0000-01-01T00:00:00Z" }), "expiresAt");
  });
});

describe("ids that name nothing are 4xx, not foreign-key 500s", () => {
  test("a gallery cover that is no file at all", async () => {
    const { body: gallery } = await u.post("/v1/galleries", { title: "covered" });
    expectInvalid(await u.patch(`/v1/galleries/${gallery.id}`, { coverFileId: crypto.randomUUID() }), "coverFileId");
    expect((await u.get(`/v1/galleries/${gallery.id}`)).body.coverFileId).toBeNull();
  });
});

describe("cursors that decode to values SQL would refuse are 400s", () => {
  const badTimes = [
    "0000-01-01T00:00:00.000000Z",
    "2026-02-30T00:00:00.000000Z",
    "2026-13-01T00:00:00.000000Z",
    "2026-01-01T24:00:00.000000Z",
    "2026-01-01T00:00:60.000000Z",
  ];
  const lists = ["/v1/entries", "/v1/files", "/v1/links", "/v1/galleries", "/v1/conversations", "/v1/shares", "/v1/shared", "/v1/me/audit"];

  test("impossible timestamps, on every list that pages", async () => {
    for (const path of lists)
      for (const v of badTimes) {
        const res = await u.get(`${path}?cursor=${cursor(v)}`);
        expect({ path, v, status: res.status }).toEqual({ path, v, status: 400 });
        expect(res.body.error).toMatchObject({ message: "Invalid cursor", requestId: expect.any(String) });
      }
  });

  test("ranks that under- or overflow a double, on keyword search", async () => {
    await u.post("/v1/entries", { title: "bike one" });
    for (const v of ["1e-400", "-1e-400", "1e400", "-1", "NaN", "0x10", "0.50", "1e-310"])
      expectInvalid(await u.get(`/v1/search?q=bike&cursor=${cursor(v)}`));
  });

  test("a real cursor still pages", async () => {
    const v = await h.user();
    for (let i = 0; i < 3; i++) await v.post("/v1/entries", { title: `bike ${i}` });
    const first = await v.get("/v1/search?q=bike&limit=2");
    const next = await v.get(`/v1/search?q=bike&limit=2&cursor=${first.body.nextCursor}`);
    expect(next.status).toBe(200);
    expect(next.body.items).toHaveLength(1);
  });
});

describe("NUL and unpaired surrogates are refused everywhere, before SQL", () => {
  test("in query strings: tag filters, search text, names", async () => {
    expectInvalid(await u.get("/v1/entries?tag=a%00b"), "tag.0");
    expectInvalid(await u.get("/v1/search?q=bike&tag=%00"), "tag.0");
    expectInvalid(await u.get("/v1/search?q=bi%00ke"), "q");
  });

  test("in JSON bodies, as values and as keys, nothing stored", async () => {
    const lone = '{"title":"half \\ud83d a bike"}';
    expectInvalid(await u.request("POST", "/v1/entries", lone), "title");
    expectInvalid(await u.post("/v1/entries", { title: "ok", tags: ["fine", "bad\u0000"] }), "tags.1");
    expectInvalid(await u.request("POST", "/v1/topics", '{"name":"\\udc00topic"}'), "name");
    const listed = (await u.get("/v1/entries?limit=100")).body.items.map((e: { title: string }) => e.title);
    expect(listed.some((t: string) => t.startsWith("half"))).toBe(false);
    // A well-formed pair is of course fine.
    const ok = await u.post("/v1/entries", { title: "bike \u{1F6B2}", tags: ["\u{1F6B2}"] });
    expect(ok.status).toBe(201);
    expect(ok.body.tags).toEqual(["\u{1F6B2}"]);
  });
});
