import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { readdir } from "node:fs/promises";
import { join, relative } from "node:path";
import { type Client, createHarness, type Harness, type RawRes } from "../../test/harness";
import { openStorage } from "../bootstrap";
import { parseEnv } from "../env";
import type { LocalStorage } from "../storage";

const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==", "base64");
const HTML = new TextEncoder().encode("<!doctype html><html><script>alert(document.cookie)</script></html>");
const SVG = new TextEncoder().encode('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const text = (s: string) => new TextEncoder().encode(s);
let n = 0;
/** Distinct bytes per call, so dedupe never joins unrelated tests. */
const unique = (label = "file") => text(`${label} ${Date.now()} ${process.pid} ${++n}\n`);

const put = (u: Client, body: RequestInit["body"], type: string, name?: string) =>
  u.fetch("PUT", `/v1/files${name === undefined ? "" : `?name=${encodeURIComponent(name)}`}`, body, { "content-type": type });
function postForm(u: Client, bytes: Uint8Array, type: string, filename: string) {
  const form = new FormData();
  form.append("note", "a field before the file is skipped");
  form.append("file", new File([bytes], filename, { type }));
  return u.fetch("POST", "/v1/files", form);
}
const bodyOf = async (res: RawRes) => new Uint8Array(await res.arrayBuffer());

/** Every stored object of this user, plus anything half-written anywhere. */
async function leftovers(h: Harness, userId: string): Promise<string[]> {
  const root = (h.services.storage as LocalStorage).root;
  const all = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return all
    .filter((e) => e.isFile())
    .map((e) => relative(root, join(e.parentPath, e.name)))
    .filter((p) => p.startsWith(`users/${userId}/`) || p.startsWith(".tmp"));
}

/** A body that sends `okChunks` chunks, then fails like a dropped connection. */
function failing(prefix: Uint8Array, okChunks: number) {
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent === 0) controller.enqueue(prefix);
      else if (sent <= okChunks) controller.enqueue(new Uint8Array(64 * 1024).fill(97));
      else controller.error(new Error("connection reset"));
      sent++;
    },
  });
}

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

describe("files: upload, read back, download", () => {
  test("a multipart upload is stored, described and downloaded byte for byte", async () => {
    const a = await h.user();
    const res = await postForm(a, PNG, "image/png", "dot.png");
    expect(res.status).toBe(201);
    const file = await res.json();
    expect(file).toMatchObject({ name: "dot.png", mime: "image/png", size: PNG.length, sha256: sha(PNG) });
    expect(file.metadata).toEqual({ size: PNG.length, mime: "image/png", declaredType: "image/png", keepLocation: false });
    // The image job may have added what it learnt by now; nothing the upload recorded changes.
    expect((await a.get(`/v1/files/${file.id}`)).body).toEqual({ ...file, metadata: expect.objectContaining(file.metadata) });

    const dl = await a.fetch("GET", `/v1/files/${file.id}/content`);
    expect(dl.status).toBe(200);
    expect(await bodyOf(dl)).toEqual(new Uint8Array(PNG));
    expect(dl.headers.get("content-type")).toBe("image/png");
    expect(dl.headers.get("etag")).toBe(`"${sha(PNG)}"`);
    expect(dl.headers.get("x-content-type-options")).toBe("nosniff");
    expect(dl.headers.get("content-disposition")).toBe(`inline; filename="dot.png"; filename*=UTF-8''dot.png`);
    await h.services.jobs.drain("images"); // its two WebP derivatives are stored beside it
    const stored = await leftovers(h, a.info.id);
    expect(stored).toHaveLength(3);
    expect(stored).toContain(`users/${a.info.id}/${sha(PNG)}`);
    const derived = stored.filter((k) => k.includes("/derivatives/"));
    expect(derived.map((k) => k.replace(/^.*-(\d+)\.webp$/, "$1")).sort()).toEqual(["1280", "320"]);
    for (const k of derived) expect(k).toStartWith(`users/${a.info.id}/derivatives/${file.id}/`);
  });

  test("a raw PUT streams the body; the same bytes again return the existing file, stored once", async () => {
    const a = await h.user();
    const bytes = unique("raw");
    const first = await put(a, bytes, "text/plain", "notes.txt");
    expect(first.status).toBe(201);
    const file = await first.json();
    expect(file).toMatchObject({ name: "notes.txt", mime: "text/plain", size: bytes.length, sha256: sha(bytes) });
    const again = await postForm(a, bytes, "text/plain", "other-name.txt");
    expect(again.status).toBe(200);
    expect((await again.json()).id).toBe(file.id);
    expect(await leftovers(h, a.info.id)).toEqual([`users/${a.info.id}/${sha(bytes)}`]);
    expect((await a.get("/v1/files")).body.items).toHaveLength(1);
  });

  test("the list pages newest first with a cursor", async () => {
    const a = await h.user();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await (await put(a, unique(), "text/plain")).json()).id);
    const p1 = await a.get("/v1/files?limit=2");
    expect(p1.body.items.map((f: { id: string }) => f.id)).toEqual([ids[2], ids[1]]);
    const p2 = await a.get(`/v1/files?limit=2&cursor=${p1.body.nextCursor}`);
    expect(p2.body.items.map((f: { id: string }) => f.id)).toEqual([ids[0]]);
    expect(p2.body.nextCursor).toBeNull();
  });

  test("Range: first byte, suffix, open-ended, clamped end, beyond the end, several ranges", async () => {
    const a = await h.user();
    const { id } = await (await put(a, text("0123456789"), "text/plain")).json();
    const get = (range: string) => a.fetch("GET", `/v1/files/${id}/content`, null, { range });
    const cases: [string, number, string, string | null][] = [
      ["bytes=0-0", 206, "0", "bytes 0-0/10"],
      ["bytes=-5", 206, "56789", "bytes 5-9/10"],
      ["bytes=3-", 206, "3456789", "bytes 3-9/10"],
      ["bytes=8-100", 206, "89", "bytes 8-9/10"],
      ["bytes=-100", 206, "0123456789", "bytes 0-9/10"],
      ["bytes=0-1,3-4", 200, "0123456789", null], // several ranges: the whole file, as RFC 9110 allows
      ["bytes=5-2", 200, "0123456789", null], // malformed: ignored
    ];
    for (const [range, status, body, contentRange] of cases) {
      const res = await get(range);
      expect([range, res.status]).toEqual([range, status]);
      expect(await res.text()).toBe(body);
      expect(res.headers.get("content-range")).toBe(contentRange);
      expect(res.headers.get("content-length")).toBe(String(body.length));
    }
    for (const range of ["bytes=10-", "bytes=99-100", "bytes=-0"]) {
      const res = await get(range);
      expect(res.status).toBe(416);
      expect(res.headers.get("content-range")).toBe("bytes */10");
      expect((await res.json()).error.code).toBe("RANGE_NOT_SATISFIABLE");
    }
  });

  test("ETag and If-None-Match answer 304; a stale If-Range gets the whole file", async () => {
    const a = await h.user();
    const bytes = unique();
    const { id } = await (await put(a, bytes, "text/plain")).json();
    const etag = `"${sha(bytes)}"`;
    const url = `/v1/files/${id}/content`;
    for (const inm of [etag, `W/${etag}`, `"other", ${etag}`, "*"]) {
      const res = await a.fetch("GET", url, null, { "if-none-match": inm });
      expect(res.status).toBe(304);
      expect(res.headers.get("etag")).toBe(etag);
    }
    expect((await a.fetch("GET", url, null, { "if-none-match": '"other"' })).status).toBe(200);
    expect((await a.fetch("GET", url, null, { range: "bytes=0-0", "if-range": '"old"' })).status).toBe(200);
    expect((await a.fetch("GET", url, null, { range: "bytes=0-0", "if-range": etag })).status).toBe(206);
  });

  test("delete hides the file; purge removes row and bytes; re-uploading a deleted file brings it back", async () => {
    const a = await h.user();
    const bytes = unique();
    const { id } = await (await put(a, bytes, "text/plain")).json();
    expect((await a.del(`/v1/files/${id}`)).status).toBe(204);
    for (const path of [`/v1/files/${id}`, `/v1/files/${id}/content`]) expect((await a.get(path)).status).toBe(404);
    expect((await a.get("/v1/files")).body.items).toEqual([]);
    expect((await a.del(`/v1/files/${id}`)).status).toBe(404);
    expect(await leftovers(h, a.info.id)).toHaveLength(1); // soft delete keeps the bytes

    const back = await put(a, bytes, "text/plain");
    expect(back.status).toBe(201);
    expect((await back.json()).id).toBe(id);
    expect((await a.del(`/v1/files/${id}?purge=true`)).status).toBe(204);
    expect(await leftovers(h, a.info.id)).toEqual([]);
    expect((await a.del(`/v1/files/${id}?purge=true`)).status).toBe(404);
    expect((await a.get(`/v1/files/${id}`)).status).toBe(404);
  });
});

describe("files: refused uploads leave nothing behind", () => {
  test("an image type the bytes do not match is 422, both ways", async () => {
    const a = await h.user();
    for (const res of [
      await put(a, HTML, "image/png", "x.png"),
      await postForm(a, HTML, "image/png", "x.png"),
      await put(a, PNG, "image/jpeg"),
    ]) {
      expect(res.status).toBe(422);
      const { error } = await res.json();
      expect(error.code).toBe("UNPROCESSABLE");
      expect(error.message).toContain("declared as image/");
    }
    expect((await a.get("/v1/files")).body.items).toEqual([]);
    expect(await leftovers(h, a.info.id)).toEqual([]);
  });

  test("zero bytes are refused with 422", async () => {
    const a = await h.user();
    for (const res of [await put(a, new Uint8Array(0), "text/plain"), await postForm(a, new Uint8Array(0), "text/plain", "empty.txt")]) {
      expect(res.status).toBe(422);
      expect((await res.json()).error.message).toBe("The file is empty");
    }
    expect((await a.get("/v1/files")).body.items).toEqual([]);
  });

  test("a body that breaks off mid-stream stores no row and no object", async () => {
    const a = await h.user();
    const boundary = "----tcc-test-boundary";
    const head = text(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\nContent-Type: text/plain\r\n\r\n`,
    );
    const responses = [
      await put(a, failing(text("start of a text file\n"), 3), "text/plain"),
      await a.fetch("POST", "/v1/files", failing(head, 3), { "content-type": `multipart/form-data; boundary=${boundary}` }),
    ];
    for (const res of responses) {
      expect(res.status).toBe(400);
      expect((await res.json()).error.message).toBe("Upload was interrupted before it completed");
    }
    expect((await a.get("/v1/files")).body.items).toEqual([]);
    expect(await leftovers(h, a.info.id)).toEqual([]);
  });

  test("a multipart body that ends without its closing boundary is refused", async () => {
    const a = await h.user();
    const body = text('--b\r\nContent-Disposition: form-data; name="file"; filename="t.txt"\r\n\r\nhello, no end');
    const res = await a.fetch("POST", "/v1/files", body, { "content-type": "multipart/form-data; boundary=b" });
    expect(res.status).toBe(400);
    expect(await leftovers(h, a.info.id)).toEqual([]);
    const noFile = await a.fetch("POST", "/v1/files", text('--b\r\nContent-Disposition: form-data; name="x"\r\n\r\n1\r\n--b--\r\n'), {
      "content-type": "multipart/form-data; boundary=b",
    });
    expect(noFile.status).toBe(400);
    expect((await a.fetch("POST", "/v1/files", text("{}"), { "content-type": "application/json" })).status).toBe(415);
  });

  test("file names lose path parts and control characters, and are bounded", async () => {
    const a = await h.user();
    const cases: [string, string | null][] = [
      ["../../etc/passwd", "passwd"],
      ["..\\..\\boot.ini", "boot.ini"],
      ["a\u0000b\u0007c\u001b.txt", "abc.txt"],
      ["evil\u202Egpj.exe", "evilgpj.exe"],
      ["..", null],
      [`${"x".repeat(1000)}.txt`, `${"x".repeat(251)}.txt`],
    ];
    for (const [raw, expected] of cases) expect((await (await put(a, unique(), "text/plain", raw)).json()).name).toBe(expected);
    const viaForm = await (await postForm(a, unique(), "text/plain", "../../up/one.txt")).json();
    expect(viaForm.name).toBe("one.txt");
  });
});

describe("files: serving user content safely", () => {
  test("HTML and SVG download as attachments with nosniff, never inline", async () => {
    const a = await h.user();
    for (const [bytes, type, mime] of [
      [HTML, "text/html", "text/html"],
      [HTML, "text/plain", "text/html"], // the sniffed type wins over the declared one
      [SVG, "image/svg+xml", "image/svg+xml"],
    ] as const) {
      const res = await put(a, bytes, type, "page.html");
      const file = await res.json();
      expect(file.mime).toBe(mime);
      const dl = await a.fetch("GET", `/v1/files/${file.id}/content`);
      expect(dl.headers.get("content-disposition")).toStartWith("attachment;");
      expect(dl.headers.get("x-content-type-options")).toBe("nosniff");
      expect(dl.headers.get("content-security-policy")).toContain("sandbox");
    }
  });

  test("a non-ASCII name is sent with an ASCII fallback and the exact UTF-8 form", async () => {
    const a = await h.user();
    const { id } = await (await put(a, unique(), "text/plain", 'résumé "v2".txt')).json();
    const dl = await a.fetch("GET", `/v1/files/${id}/content`);
    expect(dl.headers.get("content-disposition")).toBe(
      `attachment; filename="r_sum_ _v2_.txt"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%22v2%22.txt`,
    );
  });
});

describe("files: signed URLs", () => {
  test("a signed URL serves the file without a token, with Range; tampered and expired links are 403", async () => {
    const a = await h.user();
    const { id } = await (await put(a, text("0123456789"), "text/plain", "digits.txt")).json();
    const made = await a.post(`/v1/files/${id}/url`, { expiresInSeconds: 600 });
    expect(made.status).toBe(201);
    const url: string = made.body.url;
    expect(url).toMatch(new RegExp(`^/v1/public/files/${id}\\?exp=\\d+&sig=[\\w-]+$`));

    const res = await h.anon.fetch("GET", url);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("0123456789");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("content-disposition")).toStartWith("attachment;");
    const ranged = await h.anon.fetch("GET", url, null, { range: "bytes=-3" });
    expect([ranged.status, await ranged.text()]).toEqual([206, "789"]);

    const exp = Number(new URL(url, "http://x").searchParams.get("exp"));
    const other = (await (await put(a, unique(), "text/plain")).json()).id;
    const sig = new URL(url, "http://x").searchParams.get("sig") as string;
    for (const bad of [
      url.replace(/sig=./, (m) => (m.endsWith("A") ? "sig=B" : "sig=A")),
      url.replace(`exp=${exp}`, `exp=${exp + 3600}`),
      `/v1/public/files/${other}?exp=${exp}&sig=${sig}`,
    ]) {
      expect((await h.anon.fetch("GET", bad)).status).toBe(403);
    }

    const clock = h.services.clock;
    h.services.clock = () => new Date(Date.now() + 3600_000);
    try {
      const expired = await h.anon.fetch("GET", url);
      expect(expired.status).toBe(403);
      expect((await expired.json()).error.message).toContain("expired");
    } finally {
      h.services.clock = clock;
    }

    expect((await a.del(`/v1/files/${id}`)).status).toBe(204);
    expect((await h.anon.fetch("GET", url)).status).toBe(404);
  });
});

describe("files: another user's files", () => {
  test("are 404 in get, content, delete, purge and signed-URL creation, and never listed", async () => {
    const a = await h.user();
    const b = await h.user();
    const bytes = unique("private");
    const { id } = await (await put(a, bytes, "text/plain")).json();
    for (const res of [
      await b.get(`/v1/files/${id}`),
      await b.get(`/v1/files/${id}/content`),
      await b.del(`/v1/files/${id}`),
      await b.del(`/v1/files/${id}?purge=true`),
      await b.post(`/v1/files/${id}/url`, {}),
    ]) {
      expect(res.status).toBe(404);
    }
    expect((await b.get("/v1/files")).body.items).toEqual([]);

    // The same bytes from B are B's own file; purging it leaves A's untouched.
    const mine = await put(b, bytes, "text/plain");
    expect(mine.status).toBe(201);
    const bid = (await mine.json()).id;
    expect(bid).not.toBe(id);
    expect((await b.get("/v1/files")).body.items.map((f: { id: string }) => f.id)).toEqual([bid]);
    expect((await b.del(`/v1/files/${bid}?purge=true`)).status).toBe(204);
    const still = await a.fetch("GET", `/v1/files/${id}/content`);
    expect([still.status, await bodyOf(still)]).toEqual([200, bytes]);
  });
});

describe("files: API key scopes", () => {
  test("files:read reads and downloads but cannot upload or delete; other scopes get nothing", async () => {
    const u = await h.user();
    const { id } = await (await put(u, unique(), "text/plain")).json();
    const keyWith = async (scopes: string[]) => u.withToken((await u.post("/v1/api-keys", { name: "k", scopes })).body.key);
    const entriesOnly = await keyWith(["entries:read"]);
    for (const res of [await entriesOnly.get("/v1/files"), await entriesOnly.get(`/v1/files/${id}/content`)]) expect(res.status).toBe(403);
    const reader = await keyWith(["files:read"]);
    expect((await reader.get("/v1/files")).body.items.map((f: { id: string }) => f.id)).toEqual([id]);
    expect((await reader.fetch("GET", `/v1/files/${id}/content`)).status).toBe(200);
    expect((await put(reader, unique(), "text/plain")).status).toBe(403);
    expect((await reader.del(`/v1/files/${id}`)).status).toBe(403);
    const writer = await keyWith(["files:write"]);
    expect((await put(writer, unique(), "text/plain")).status).toBe(201);
  });
});

describe("files: size limits", () => {
  let small: Harness;
  beforeAll(async () => {
    small = await createHarness({ MAX_FILE_BYTES: "1000", USER_QUOTA_BYTES: "2500" });
  });
  afterAll(() => small.close());

  const sized = (size: number, fill: number) => new Uint8Array(size).fill(fill);
  const chunked = (size: number) =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (let sent = 0; sent < size; sent += 100) controller.enqueue(new Uint8Array(100).fill(98));
        controller.close();
      },
    });

  test("over MAX_FILE_BYTES is 413, declared or streamed; exactly the limit is fine", async () => {
    const a = await small.user();
    for (const res of [
      await put(a, sized(1001, 97), "text/plain"),
      await put(a, chunked(5000), "text/plain"),
      await postForm(a, sized(1001, 97), "text/plain", "a.txt"),
    ]) {
      expect(res.status).toBe(413);
      expect((await res.json()).error.code).toBe("PAYLOAD_TOO_LARGE");
    }
    expect(await leftovers(small, a.info.id)).toEqual([]);
    expect((await put(a, sized(1000, 97), "text/plain")).status).toBe(201);
  });

  test("going over the user's quota is 413; purging frees room", async () => {
    const a = await small.user();
    expect((await put(a, sized(1000, 65), "text/plain")).status).toBe(201);
    const second = await (await put(a, sized(1000, 66), "text/plain")).json();
    const over = await put(a, sized(600, 67), "text/plain");
    expect(over.status).toBe(413);
    expect((await over.json()).error.message).toContain("quota");
    expect((await put(a, sized(500, 68), "text/plain")).status).toBe(201);
    expect((await put(a, sized(1, 69), "text/plain")).status).toBe(413);
    expect((await a.get("/v1/files")).body.items).toHaveLength(3);
    expect(await leftovers(small, a.info.id)).toHaveLength(3);
    expect((await a.del(`/v1/files/${second.id}?purge=true`)).status).toBe(204);
    expect((await put(a, sized(600, 67), "text/plain")).status).toBe(201);
  });
});

describe("files: configuration", () => {
  test("the s3 driver names its missing settings; local defaults to DATA_DIR/files", () => {
    let message = "";
    try {
      parseEnv({ STORAGE_DRIVER: "s3", S3_BUCKET: "b" });
    } catch (err) {
      message = String(err);
    }
    expect(message).toContain("S3_ACCESS_KEY_ID");
    expect(message).toContain("S3_SECRET_ACCESS_KEY");
    expect(message).not.toContain("S3_BUCKET");
    const local = openStorage(parseEnv({ DATA_DIR: "/srv/tcc" })) as LocalStorage;
    expect([local.driver, local.root]).toEqual(["local", "/srv/tcc/files"]);
    const s3 = openStorage(parseEnv({ STORAGE_DRIVER: "s3", S3_BUCKET: "b", S3_ACCESS_KEY_ID: "k", S3_SECRET_ACCESS_KEY: "s" }));
    expect(s3.driver).toBe("s3");
  });
});
