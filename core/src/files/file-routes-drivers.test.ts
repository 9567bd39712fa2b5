import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { type Client, createHarness, type Harness, type RawRes } from "../../test/harness";
import { inspect, jpeg, nextColour } from "../../test/jpeg";
import type { LocalStorage, S3Storage } from "../storage";

// s3rver ships no types; this is the little of it the tests use.
type S3rverServer = { run(): Promise<{ port: number }>; close(): Promise<void> };
const S3rver: new (opts: Record<string, unknown>) => S3rverServer = require("s3rver");

interface Driver {
  h: Harness;
  /** Every stored object of this user, plus anything half-written. */
  objects(userId: string): Promise<string[]>;
  close(): Promise<void>;
}

async function local(): Promise<Driver> {
  const h = await createHarness();
  const root = (h.services.storage as LocalStorage).root;
  return {
    h,
    async objects(userId) {
      const all = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
      return all
        .filter((e) => e.isFile())
        .map((e) => relative(root, join(e.parentPath, e.name)))
        .filter((p) => p.startsWith(`users/${userId}/`) || p.startsWith(".tmp"));
    },
    close: () => h.close(),
  };
}

async function s3(): Promise<Driver> {
  const dir = await mkdtemp(join(tmpdir(), "tcc-s3rver-routes-"));
  const server = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory: dir, configureBuckets: [{ name: "tcc-routes" }] });
  const { port } = await server.run();
  const h = await createHarness({
    STORAGE_DRIVER: "s3",
    S3_ENDPOINT: `http://127.0.0.1:${port}`,
    S3_BUCKET: "tcc-routes",
    S3_REGION: "us-east-1",
    S3_ACCESS_KEY_ID: "S3RVER",
    S3_SECRET_ACCESS_KEY: "S3RVER",
    S3_VIRTUAL_HOSTED_STYLE: "false",
  });
  expect(h.services.storage.driver).toBe("s3");
  const client = (h.services.storage as S3Storage).client;
  return {
    h,
    async objects(userId) {
      const listed = await client.list({ prefix: `users/${userId}/` });
      return (listed.contents ?? []).map((o) => o.key);
    },
    async close() {
      await h.close();
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const bytesOf = async (res: RawRes) => new Uint8Array(await res.arrayBuffer());
const put = (u: Client, body: RequestInit["body"], type: string) => u.fetch("PUT", "/v1/files?name=f.bin", body, { "content-type": type });

/** The file routes end to end on each storage driver: a representative subset of files.test.ts and images.test.ts. */
describe.each([
  ["filesystem", local],
  ["S3 (s3rver on loopback)", s3],
] as const)("file routes on %s storage", (_name, make) => {
  let d: Driver;
  beforeAll(async () => {
    d = await make();
  });
  afterAll(() => d.close());

  test("upload, download whole and ranged, 304, and another user's 404", async () => {
    const a = await d.h.user();
    const b = await d.h.user();
    const bytes = new TextEncoder().encode(`0123456789 ${Date.now()} ${Math.random()}`);
    const res = await put(a, bytes, "text/plain");
    expect(res.status).toBe(201);
    const { id } = await res.json();
    const whole = await a.fetch("GET", `/v1/files/${id}/content`);
    expect(whole.status).toBe(200);
    expect(await bytesOf(whole)).toEqual(bytes);
    expect(whole.headers.get("etag")).toBe(`"${sha(bytes)}"`);
    const ranged = await a.fetch("GET", `/v1/files/${id}/content`, null, { range: "bytes=2-5" });
    expect(ranged.status).toBe(206);
    expect(await ranged.text()).toBe("2345");
    expect(ranged.headers.get("content-range")).toBe(`bytes 2-5/${bytes.length}`);
    expect((await a.fetch("GET", `/v1/files/${id}/content`, null, { range: `bytes=${bytes.length}-` })).status).toBe(416);
    expect((await a.fetch("GET", `/v1/files/${id}/content`, null, { "if-none-match": `"${sha(bytes)}"` })).status).toBe(304);
    expect((await b.fetch("GET", `/v1/files/${id}/content`)).status).toBe(404);
    expect(await d.objects(a.info.id)).toEqual([`users/${a.info.id}/${sha(bytes)}`]);
  });

  test("a multipart upload of an image gets derivatives; purge removes the bytes and the derivatives", async () => {
    const a = await d.h.user();
    const bytes = await jpeg({ width: 700, height: 350, gps: true, colour: nextColour() });
    const form = new FormData();
    form.append("file", new File([bytes], "wide.jpg", { type: "image/jpeg" }));
    const res = await a.fetch("POST", "/v1/files", form);
    expect(res.status).toBe(201);
    const { id } = await res.json();
    await d.h.services.jobs.drain("images");
    const thumb = await a.fetch("GET", `/v1/files/${id}/content?size=320`);
    expect(thumb.status).toBe(200);
    expect(await inspect(await bytesOf(thumb))).toMatchObject({ format: "webp", width: 320, height: 160, gps: null });
    const signed = await a.post(`/v1/files/${id}/url`, { size: 1280 });
    const url = new URL(signed.body.url, "http://x");
    const large = await d.h.anon.fetch("GET", `${url.pathname}${url.search}`, undefined, { range: "bytes=0-3" });
    expect(large.status).toBe(206);
    expect(new TextDecoder().decode(await bytesOf(large))).toBe("RIFF");
    expect(await d.objects(a.info.id)).toHaveLength(3);

    expect((await a.del(`/v1/files/${id}`)).status).toBe(204); // soft: bytes stay for a restore
    expect(await d.objects(a.info.id)).toHaveLength(3);
    expect((await a.del(`/v1/files/${id}?purge=true`)).status).toBe(204);
    expect(await d.objects(a.info.id)).toEqual([]);
  });

  test("an upload that fails mid-stream leaves nothing behind", async () => {
    const a = await d.h.user();
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 3) controller.enqueue(new Uint8Array(64 * 1024).fill(97));
        else controller.error(new Error("connection reset"));
      },
    });
    const res = await put(a, body, "application/octet-stream").catch(() => null);
    expect(res === null || res.status >= 400).toBe(true);
    expect(await d.objects(a.info.id)).toEqual([]);
    expect((await a.get("/v1/files")).body.items).toEqual([]);
  });
});
