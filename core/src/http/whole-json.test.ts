import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Client, createHarness, type Harness } from "../../test/harness";

// A JSON body too large for the socket's cork buffer leaves as one stream write (whole-json.ts):
// over real HTTP it must arrive whole, with every header the frame sets.

let h: Harness;
let server: ReturnType<typeof Bun.serve>;
let u: Client;
beforeAll(async () => {
  h = await createHarness();
  server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: h.app.fetch });
  u = await h.user();
  // 25 entries of about 900 bytes: the default page is well over 16 KiB.
  const made = await Promise.all(
    Array.from({ length: 25 }, (_, i) => u.post("/v1/entries", { title: `long ${i}`, content: `Über ${i}: ${"ride notes ".repeat(80)}` })),
  );
  for (const res of made) expect(res.status).toBe(201);
});
afterAll(async () => {
  server.stop(true);
  await h.close();
});

const get = (path: string, headers: Record<string, string> = {}) =>
  fetch(`http://127.0.0.1:${server.port}${path}`, { headers: { authorization: `Bearer ${u.token}`, ...headers } });

describe("large JSON responses", () => {
  test("a page over 16 KiB arrives whole, chunked, with the frame's headers", async () => {
    const res = await get("/v1/entries", { "accept-encoding": "identity" });
    expect(res.status).toBe(200);
    expect(res.headers.get("transfer-encoding")).toBe("chunked");
    expect(res.headers.get("content-type")).toStartWith("application/json");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("x-request-id")).toBeTruthy();
    expect(res.headers.get("ratelimit-remaining")).toBeTruthy();
    const text = await res.text();
    expect(Buffer.byteLength(text)).toBeGreaterThan(16 * 1024);
    const page = JSON.parse(text) as { items: { title: string; content: string }[] };
    expect(page.items).toHaveLength(25);
    expect(page.items.map((e) => e.title).sort()).toEqual(Array.from({ length: 25 }, (_, i) => `long ${i}`).sort());
    expect(page.items[0]?.content).toStartWith("Über");
  });

  test("a small body keeps its Content-Length", async () => {
    const res = await get("/v1/entries?limit=1", { "accept-encoding": "identity" });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(res.headers.get("content-length")).toBe(String(Buffer.byteLength(text)));
    expect((JSON.parse(text) as { items: unknown[] }).items).toHaveLength(1);
  });

  test("a client that accepts gzip still gets the gzipped page", async () => {
    const res = await get("/v1/entries", { "accept-encoding": "gzip" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-encoding")).toBe("gzip");
    expect(((await res.json()) as { items: unknown[] }).items).toHaveLength(25);
  });

  test("an error stays an error, whole", async () => {
    const res = await get("/v1/entries?limit=0", { "accept-encoding": "identity" });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("VALIDATION_FAILED");
  });
});
