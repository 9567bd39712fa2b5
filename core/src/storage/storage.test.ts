import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash, randomUUID } from "node:crypto";
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { AppError } from "../errors";
import {
  createStorage,
  InvalidKeyError,
  LocalStorage,
  type ObjectStorage,
  ObjectTooLargeError,
  RangeNotSatisfiableError,
  type S3Storage,
  UploadInterruptedError,
} from ".";

// s3rver ships no types; this is the little of it the tests use.
type S3rverServer = { run(): Promise<{ port: number }>; close(): Promise<void> };
const S3rver: new (opts: Record<string, unknown>) => S3rverServer = require("s3rver");

const MiB = 1024 * 1024;
const CHUNK = 64 * 1024;

interface Fixture {
  storage: ObjectStorage;
  /** Every stored object under `prefix`, plus anything half-written anywhere. */
  leftovers(prefix: string): Promise<string[]>;
  close(): Promise<void>;
}

async function localFixture(): Promise<Fixture> {
  const dir = await mkdtemp(join(tmpdir(), "tcc-storage-"));
  const root = join(dir, "files");
  const storage = createStorage({ driver: "local", root });
  return {
    storage,
    async leftovers(prefix) {
      const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
      return entries
        .filter((e) => e.isFile())
        .map((e) => relative(root, join(e.parentPath, e.name)))
        .filter((p) => p.startsWith(prefix) || p.startsWith(".tmp"));
    },
    close: () => rm(dir, { recursive: true, force: true }),
  };
}

async function s3Fixture(): Promise<Fixture> {
  const dir = await mkdtemp(join(tmpdir(), "tcc-s3rver-"));
  const server = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory: dir, configureBuckets: [{ name: "tcc-test" }] });
  const { port } = await server.run();
  const storage = createStorage({
    driver: "s3",
    endpoint: `http://127.0.0.1:${port}`,
    bucket: "tcc-test",
    region: "us-east-1",
    accessKeyId: "S3RVER",
    secretAccessKey: "S3RVER",
    virtualHostedStyle: false,
  });
  return {
    storage,
    async leftovers(prefix) {
      const listed = await (storage as S3Storage).client.list({ prefix });
      return (listed.contents ?? []).map((o) => o.key);
    },
    async close() {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A body produced chunk by chunk on demand, with its expected hash computed independently. */
function generated(totalBytes: number, opts: { failAfter?: number; onPull?: (sent: number) => void } = {}) {
  const hash = createHash("sha256");
  const state = { sent: 0, cancelled: false, sha256: () => hash.digest("hex") };
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        opts.onPull?.(state.sent);
        if (opts.failAfter !== undefined && state.sent >= opts.failAfter) {
          controller.error(new Error("client connection reset"));
          return;
        }
        if (state.sent >= totalBytes) {
          controller.close();
          return;
        }
        const chunk = new Uint8Array(Math.min(CHUNK, totalBytes - state.sent));
        for (let i = 0; i < chunk.length; i++) chunk[i] = (state.sent + i) * 31 + ((state.sent + i) >> 13);
        hash.update(chunk);
        state.sent += chunk.length;
        controller.enqueue(chunk);
      },
      cancel() {
        state.cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, state };
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error("expected a rejection");
}

async function readAll(storage: ObjectStorage, key: string, range?: { start: number; end?: number }) {
  const got = await storage.get(key, range);
  if (!got) throw new Error(`missing ${key}`);
  return { ...got, bytes: new Uint8Array(await new Response(got.body).arrayBuffer()) };
}

const timings: string[] = [];
afterAll(() => {
  for (const line of timings) console.log(line);
});

const drivers: [string, () => Promise<Fixture>][] = [
  ["local filesystem", localFixture],
  ["S3 (s3rver on loopback)", s3Fixture],
];

for (const [name, setup] of drivers) {
  describe(`storage contract: ${name}`, () => {
    let f: Fixture;
    let storage: ObjectStorage;
    let prefix: string;
    beforeAll(async () => {
      f = await setup();
      storage = f.storage;
    });
    afterAll(() => f.close());
    const key = (k: string) => {
      prefix = `t/${randomUUID()}/`;
      return `${prefix}${k}`;
    };

    test("bytes come back identical, with their size and SHA-256", async () => {
      const k = key("hello.bin");
      const bytes = new TextEncoder().encode("hello, storage \u00e9\u{1f600}");
      expect(await storage.put(k, bytes, { contentType: "text/plain" })).toEqual({ size: bytes.length, sha256: sha256(bytes) });
      const got = await readAll(storage, k);
      expect(got.bytes).toEqual(bytes);
      expect(got.size).toBe(bytes.length);
      expect(got.range).toBeUndefined();
      expect((await storage.head(k))?.size).toBe(bytes.length);
      expect(await storage.exists(k)).toBe(true);
    });

    test("an empty body is a valid, empty object", async () => {
      const k = key("empty");
      expect(await storage.put(k, new Uint8Array(0))).toEqual({ size: 0, sha256: sha256(new Uint8Array(0)) });
      expect((await readAll(storage, k)).bytes.length).toBe(0);
    });

    test("a second put replaces the object as a whole", async () => {
      const k = key("twice");
      await storage.put(k, new TextEncoder().encode("first version, longer"));
      await storage.put(k, new TextEncoder().encode("second"));
      expect(new TextDecoder().decode((await readAll(storage, k)).bytes)).toBe("second");
    });

    test("a 20 MB body streams through with the right SHA-256 and flat memory", async () => {
      const k = key("big.bin");
      Bun.gc(true);
      const before = process.memoryUsage();
      const peak = { rss: before.rss, live: before.heapUsed + before.arrayBuffers };
      // Sampled as the storage pulls each 64 KiB chunk: buffering the body would show up here.
      const { stream, state } = generated(20 * MiB, {
        onPull: (sent) => {
          if (sent % MiB !== 0) return;
          const m = process.memoryUsage();
          peak.rss = Math.max(peak.rss, m.rss);
          peak.live = Math.max(peak.live, m.heapUsed + m.arrayBuffers);
        },
      });
      const started = performance.now();
      const result = await storage.put(k, stream);
      const ms = performance.now() - started;
      Bun.gc(true);
      const after = process.memoryUsage().rss;
      const mib = (n: number) => `${(n / MiB).toFixed(1)} MiB`;
      timings.push(
        `${name}: 20 MB put in ${ms.toFixed(0)} ms (${((20 / ms) * 1000).toFixed(0)} MB/s); RSS before→after ${mib(after - before.rss)}, ` +
          `peak RSS +${mib(peak.rss - before.rss)}, peak JS heap+ArrayBuffers +${mib(peak.live - before.heapUsed - before.arrayBuffers)}`,
      );
      expect(result).toEqual({ size: 20 * MiB, sha256: state.sha256() });
      // Holding the body in JS would cost ~20 MiB here; streaming stays at a few chunks (S3 parts in flight are native memory).
      expect(peak.live - before.heapUsed - before.arrayBuffers).toBeLessThan(10 * MiB);
      const back = await storage.get(k);
      const hash = createHash("sha256");
      for await (const chunk of back!.body) hash.update(chunk);
      expect(hash.digest("hex")).toBe(result.sha256);
    }, 60_000);

    test("more than maxBytes is refused with a typed error, the sender is cancelled and nothing is stored", async () => {
      const k = key("too-big");
      const { stream, state } = generated(8 * MiB);
      const err = await caught(storage.put(k, stream, { maxBytes: 6 * MiB }));
      expect(err).toBeInstanceOf(ObjectTooLargeError);
      expect((err as AppError).code).toBe("PAYLOAD_TOO_LARGE");
      expect(state.cancelled).toBe(true);
      expect(state.sent).toBeLessThan(8 * MiB);
      expect(await storage.head(k)).toBeNull();
      expect(await f.leftovers(prefix)).toEqual([]);
    }, 30_000);

    test("exactly maxBytes is accepted; an in-memory body over the limit is refused", async () => {
      const k = key("exact");
      expect((await storage.put(k, new Uint8Array(1000), { maxBytes: 1000 })).size).toBe(1000);
      const over = `${prefix}over`;
      expect(await caught(storage.put(over, new Uint8Array(1001), { maxBytes: 1000 }))).toBeInstanceOf(ObjectTooLargeError);
      expect(await storage.exists(over)).toBe(false);
      expect(await f.leftovers(prefix)).toEqual([k]);
    });

    for (const failAfter of [CHUNK, 7 * MiB]) {
      test(`a body that errors after ${failAfter} bytes leaves nothing behind`, async () => {
        const k = key("broken");
        const { stream } = generated(12 * MiB, { failAfter });
        expect(await caught(storage.put(k, stream))).toBeInstanceOf(UploadInterruptedError);
        expect(await storage.head(k)).toBeNull();
        expect(await f.leftovers(prefix)).toEqual([]);
      }, 30_000);
    }

    test("aborting the upload (client went away) stops it and leaves nothing behind", async () => {
      const k = key("aborted");
      const ac = new AbortController();
      const { stream, state } = generated(12 * MiB, { onPull: (sent) => sent >= 6 * MiB && ac.abort(new Error("gone")) });
      expect(await caught(storage.put(k, stream, { signal: ac.signal }))).toBeInstanceOf(UploadInterruptedError);
      expect(state.sent).toBeLessThan(12 * MiB);
      expect(await storage.head(k)).toBeNull();
      expect(await f.leftovers(prefix)).toEqual([]);
    }, 30_000);

    test("a failed upload over an existing key leaves the old object intact", async () => {
      const k = key("keep");
      const original = new TextEncoder().encode("the good copy");
      await storage.put(k, original);
      expect(await caught(storage.put(k, generated(MiB, { failAfter: CHUNK * 2 }).stream))).toBeInstanceOf(UploadInterruptedError);
      expect(await caught(storage.put(k, generated(MiB).stream, { maxBytes: 1000 }))).toBeInstanceOf(ObjectTooLargeError);
      expect((await readAll(storage, k)).bytes).toEqual(original);
    });

    describe("range reads", () => {
      const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) & 255);
      let k: string;
      beforeAll(async () => {
        k = key("ranged");
        await storage.put(k, bytes);
      });

      test.each([
        ["first byte", { start: 0, end: 0 }, 0, 0],
        ["middle", { start: 10, end: 19 }, 10, 19],
        ["last byte", { start: 999, end: 999 }, 999, 999],
        ["open-ended", { start: 990 }, 990, 999],
        ["end past the object, clamped", { start: 995, end: 5000 }, 995, 999],
        ["whole object", { start: 0 }, 0, 999],
      ])("%s", async (_, range, start, end) => {
        const got = await readAll(storage, k, range);
        expect(got.range).toEqual({ start, end });
        expect(got.size).toBe(1000);
        expect(got.bytes).toEqual(bytes.slice(start, end + 1));
      });

      test("a start at or past the end is not satisfiable and says the size", async () => {
        for (const start of [1000, 5000]) {
          const err = await caught(storage.get(k, { start }));
          expect(err).toBeInstanceOf(RangeNotSatisfiableError);
          expect((err as RangeNotSatisfiableError).size).toBe(1000);
          expect((err as AppError).headers).toEqual({ "Content-Range": "bytes */1000" });
        }
      });

      test("malformed ranges are a bad request", async () => {
        for (const range of [{ start: -1 }, { start: 5, end: 4 }, { start: 1.5 }, { start: Number.NaN }]) {
          const err = await caught(storage.get(k, range));
          expect(err).toBeInstanceOf(AppError);
          expect(err).not.toBeInstanceOf(RangeNotSatisfiableError);
          expect((err as AppError).code).toBe("BAD_REQUEST");
        }
      });

      test("a range on a missing key is null, not an error", async () => {
        expect(await storage.get(`${k}-missing`, { start: 0 })).toBeNull();
      });
    });

    test("delete removes the object and is idempotent", async () => {
      const k = key("doomed");
      await storage.put(k, new Uint8Array([1, 2, 3]));
      await storage.delete(k);
      expect(await storage.exists(k)).toBe(false);
      expect(await storage.get(k)).toBeNull();
      await storage.delete(k);
      await storage.delete(`${prefix}never-existed`);
      expect(await f.leftovers(prefix)).toEqual([]);
    });

    test("move publishes the bytes under the new key and removes the old one", async () => {
      const from = key("staged");
      const to = `${prefix}final/object`;
      const bytes = new TextEncoder().encode("moved bytes");
      await storage.put(from, bytes);
      await storage.move(from, to);
      expect(await storage.exists(from)).toBe(false);
      const got = await storage.get(to);
      expect(new Uint8Array(await new Response(got?.body).arrayBuffer())).toEqual(bytes);
      await storage.delete(to);
      expect(await f.leftovers(prefix)).toEqual([]);
    });

    test("list yields every object under a prefix in key order, page after page, with size and age", async () => {
      const k = key("list/");
      const keys = [`${k}a-b`, `${k}a/deep/x`, `${k}a0`, `${k}b/1`, `${k}b/2`, `${k}c`];
      const before = Date.now() - 2_000; // filesystems and S3 keep whole seconds
      for (const [i, name] of keys.entries()) await storage.put(name, new Uint8Array(i + 1));
      await storage.put(`${prefix}listx`, new Uint8Array(1)); // shares the prefix's start, not its directory
      const listed = [];
      for await (const o of storage.list(k, { pageSize: 2 })) listed.push(o);
      expect(listed.map((o) => o.key)).toEqual(keys); // "a-b", "a/…", "a0": byte order, as S3 lists
      expect(listed.map((o) => o.size)).toEqual([1, 2, 3, 4, 5, 6]);
      for (const o of listed) expect(o.lastModified.getTime()).toBeGreaterThan(before);
      // A prefix that ends inside a segment matches like S3's: "b" takes "b/1", "b/2", nothing else.
      const partial = [];
      for await (const o of storage.list(`${k}b`)) partial.push(o.key);
      expect(partial).toEqual([`${k}b/1`, `${k}b/2`]);
      const none = [];
      for await (const o of storage.list(`${prefix}nothing/`)) none.push(o);
      expect(none).toEqual([]);
      const first = (prefix: string) => storage.list(prefix)[Symbol.asyncIterator]().next();
      expect(await caught(first("../"))).toBeInstanceOf(InvalidKeyError);
      expect(await caught(first("a//"))).toBeInstanceOf(InvalidKeyError);
    });

    test("a missing key reads as null", async () => {
      const k = key("nothing-here");
      expect(await storage.get(k)).toBeNull();
      expect(await storage.head(k)).toBeNull();
      expect(await storage.exists(k)).toBe(false);
    });

    test("invalid keys are refused by every operation, before any I/O", async () => {
      for (const bad of [
        "",
        "/abs",
        "a//b",
        "a/",
        "../x",
        "a/../../x",
        "./a",
        ".tmp/x",
        "a\\b",
        "a\u0000b",
        "a\nb",
        "a\u007fb",
        "x".repeat(1025),
      ]) {
        for (const op of [
          () => storage.put(bad, new Uint8Array([1])),
          () => storage.get(bad),
          () => storage.head(bad),
          () => storage.exists(bad),
          () => storage.delete(bad),
        ]) {
          const err = await caught(op());
          expect(err).toBeInstanceOf(InvalidKeyError);
          expect((err as AppError).code).toBe("BAD_REQUEST");
        }
      }
    });
  });
}

describe("local storage stays inside its root", () => {
  let dir: string;
  let storage: LocalStorage;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "tcc-traversal-"));
    storage = new LocalStorage(join(dir, "root"));
    await writeFile(join(dir, "victim"), "do not touch");
    await writeFile(join(dir, "rootsibling"), "do not touch");
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  test("traversal keys write, read and delete nothing outside the root", async () => {
    const attempts = [
      "../victim",
      "a/../../victim",
      "/etc/passwd",
      `${dir}/victim`,
      "a\\..\\..\\victim",
      "a\u0000b",
      "a\u0001b",
      "a\u001bb",
      "../rootsibling",
      "a/./b",
    ];
    for (const k of attempts) {
      expect(await caught(storage.put(k, new TextEncoder().encode("pwned")))).toBeInstanceOf(InvalidKeyError);
      expect(await caught(storage.get(k))).toBeInstanceOf(InvalidKeyError);
      expect(await caught(storage.delete(k))).toBeInstanceOf(InvalidKeyError);
    }
    expect((await readdir(dir)).filter((name) => name !== "root").sort()).toEqual(["rootsibling", "victim"]);
    expect(await Bun.file(join(dir, "victim")).text()).toBe("do not touch");
    expect(await Bun.file(join(dir, "rootsibling")).text()).toBe("do not touch");
    expect(await readdir(join(dir, "root"), { recursive: true }).catch(() => [])).toEqual([]);
  });

  test("a path-like key lands where expected, and a directory is not an object", async () => {
    await storage.put("u/1/abc", new TextEncoder().encode("x"));
    expect(await Bun.file(join(dir, "root", "u", "1", "abc")).text()).toBe("x");
    expect(await storage.get("u/1")).toBeNull();
    await storage.delete("u/1");
    expect(await storage.exists("u/1/abc")).toBe(true);
  });

  test("dropIncomplete removes only half-written uploads untouched since the cut-off", async () => {
    const tmp = join(dir, "root", ".tmp");
    await mkdir(tmp, { recursive: true });
    await writeFile(join(tmp, "dead"), "a put whose process was killed");
    await writeFile(join(tmp, "alive"), "a put still streaming");
    const hourAgo = new Date(Date.now() - 3600_000);
    await utimes(join(tmp, "dead"), hourAgo, hourAgo);
    expect(await storage.dropIncomplete(new Date(Date.now() - 600_000))).toBe(1);
    expect((await readdir(tmp)).sort()).toEqual(["alive"]);
    expect(await storage.exists("u/1/abc")).toBe(true); // objects are not its business
  });

  test("the embedded default root is ./data/files", () => {
    const s = createStorage({ driver: "local" }) as LocalStorage;
    expect(s.root).toBe(join(process.cwd(), "data", "files"));
  });
});

describe("S3 storage specifics", () => {
  test("the content type is kept on the object", async () => {
    const f = await s3Fixture();
    try {
      await f.storage.put("typed/a.png", new Uint8Array([137, 80, 78, 71]), { contentType: "image/png" });
      expect((await f.storage.head("typed/a.png"))?.contentType).toBe("image/png");
      expect((await f.storage.get("typed/a.png"))?.contentType).toBe("image/png");
    } finally {
      await f.close();
    }
  });
});
