import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { type ConnectionOptions, Queue } from "bullmq";
import { type Client, createHarness, type Harness, type RawRes } from "../../../test/harness";
import { inspect, jpeg, nextColour } from "../../../test/jpeg";
import { connectJobRedis } from "../../lib/redis-kv";
import type { LocalStorage } from "../../storage";
import { makeDerivatives } from "./derivative-job";

const bytesOf = async (res: RawRes) => new Uint8Array(await res.arrayBuffer());
const put = (u: Client, body: Uint8Array, query = "") =>
  u.fetch("PUT", `/v1/files?name=beach.jpg${query}`, body, { "content-type": "image/jpeg" });
const camera = (extra: { gps?: boolean } = {}) =>
  jpeg({ width: 400, height: 200, orientation: 6, takenAt: "2024:05:06 07:08:09", colour: nextColour(), ...extra });

/** Every stored object under this user's derivatives/ folder (local storage). */
async function derivativeObjects(h: Harness, userId: string): Promise<string[]> {
  const root = join((h.services.storage as LocalStorage).root, "users", userId, "derivatives");
  const all = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return all.filter((e) => e.isFile()).map((e) => e.name);
}

let h: Harness;
/** Enqueues but runs no jobs until a test starts its workers: for "before the derivative is ready". */
let idle: Harness;
beforeAll(async () => {
  h = await createHarness();
  idle = await createHarness({ JOB_WORKERS: "off" });
});
afterAll(async () => {
  await h.close();
  await idle.close();
});

describe("image derivatives", () => {
  test("the upload answers at once; the job records EXIF facts and upright, never upscaled WebP versions without GPS", async () => {
    const a = await idle.user();
    const original = await camera({ gps: true });
    const res = await put(a, original);
    expect(res.status).toBe(201);
    const file = await res.json();
    expect(file.metadata.derivatives).toBeUndefined(); // not made yet: the answer did not wait

    const pending = await a.fetch("GET", `/v1/files/${file.id}/content?size=320`);
    expect(pending.status).toBe(404);
    expect((await pending.json()).error).toMatchObject({ code: "NOT_FOUND", details: { reason: "DERIVATIVE_PENDING", size: 320 } });

    await makeDerivatives({ ctx: { s: idle.services }, input: { userId: a.info.id, fileId: file.id } }); // what the worker runs
    const described = async () => (await a.get(`/v1/files/${file.id}`)).body.metadata;
    const meta = await described();
    // 400×200 turned a quarter by orientation 6 shows as 200×400.
    expect(meta).toMatchObject({
      width: 200,
      height: 400,
      orientation: 6,
      takenAt: "2024-05-06T07:08:09",
      hasLocation: true,
      keepLocation: false,
    });
    expect(meta.derivatives["320"]).toMatchObject({
      width: 160,
      height: 320,
      bytes: expect.any(Number),
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(meta.derivatives["1280"]).toMatchObject({ width: 200, height: 400 }); // never upscaled

    const { derivatives } = await described(); // fresh: toMatchObject above may keep matchers in what it compared
    for (const size of [320, 1280] as const) {
      const dl = await a.fetch("GET", `/v1/files/${file.id}/content?size=${size}`);
      expect(dl.status).toBe(200);
      expect(dl.headers.get("content-type")).toBe("image/webp");
      expect(dl.headers.get("etag")).toBe(`"${derivatives[size].sha256}"`);
      expect(dl.headers.get("content-disposition")).toBe(`inline; filename="beach-${size}.webp"; filename*=UTF-8''beach-${size}.webp`);
      const got = await inspect(await bytesOf(dl));
      expect(got).toMatchObject({ format: "webp", width: derivatives[size].width, height: derivatives[size].height, gps: null });
      expect(got.orientation ?? 1).toBe(1); // already upright
    }
    // The original stays exactly as uploaded, location included: it is the owner's.
    const raw = await bytesOf(await a.fetch("GET", `/v1/files/${file.id}/content`));
    expect(raw).toEqual(new Uint8Array(original));
    expect((await inspect(raw)).gps).not.toBeNull();
  });

  test("a derivative answers Range and If-None-Match like the original", async () => {
    const a = await h.user();
    const { id } = await (await put(a, await camera())).json();
    await h.services.jobs.drain("images");
    const path = `/v1/files/${id}/content?size=320`;
    const whole = await bytesOf(await a.fetch("GET", path));
    const etag = (await a.fetch("GET", path)).headers.get("etag") as string;
    const ranged = await a.fetch("GET", path, null, { range: "bytes=0-9" });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get("content-range")).toBe(`bytes 0-9/${whole.length}`);
    expect(await bytesOf(ranged)).toEqual(whole.subarray(0, 10));
    expect((await a.fetch("GET", path, null, { range: `bytes=${whole.length}-` })).status).toBe(416);
    const cached = await a.fetch("GET", path, null, { "if-none-match": etag });
    expect(cached.status).toBe(304);
    expect(cached.headers.get("etag")).toBe(etag);
  });

  test("keepLocation at upload keeps GPS in the derivatives; PATCH turns it off and on again", async () => {
    const a = await h.user();
    const res = await put(a, await camera({ gps: true }), "&keepLocation=true");
    const { id } = await res.json();
    await h.services.jobs.drain("images");
    const gpsOf = async () => (await inspect(await bytesOf(await a.fetch("GET", `/v1/files/${id}/content?size=1280`)))).gps;
    expect(await gpsOf()).toMatchObject({ GPSLatitudeRef: "N", GPSLatitude: [48, 51, 24] });
    const before = await derivativeObjects(h, a.info.id);
    expect(before).toHaveLength(2);

    // Off: the location-bearing versions are withdrawn at once, then made again without it.
    const off = await a.patch(`/v1/files/${id}`, { keepLocation: false });
    expect(off.status).toBe(200);
    expect(off.body.metadata.keepLocation).toBe(false);
    expect(off.body.metadata.derivatives).toBeUndefined();
    // From here on no location is served: 404 until remade (the worker may already have remade it).
    const right = await a.fetch("GET", `/v1/files/${id}/content?size=1280`);
    if (right.status === 200) expect((await inspect(await bytesOf(right))).gps).toBeNull();
    else expect(right.status).toBe(404);
    await h.services.jobs.drain("images");
    expect(await gpsOf()).toBeNull();
    const after = await derivativeObjects(h, a.info.id);
    expect(after).toHaveLength(2);
    expect(after.some((k) => before.includes(k))).toBe(false); // the old bytes are gone, not just unlinked

    // On again: remade with the location.
    expect((await a.patch(`/v1/files/${id}`, { keepLocation: true })).status).toBe(200);
    await h.services.jobs.drain("images");
    expect(await gpsOf()).not.toBeNull();
    expect(await derivativeObjects(h, a.info.id)).toHaveLength(2);
  });

  test("validation: size, keepLocation and the PATCH body are checked", async () => {
    const a = await h.user();
    const { id } = await (await put(a, await camera())).json();
    for (const res of [
      await a.fetch("GET", `/v1/files/${id}/content?size=640`),
      await put(a, await camera(), "&keepLocation=yes"),
      await a.fetch("PATCH", `/v1/files/${id}`, JSON.stringify({ keepLocation: "yes" }), { "content-type": "application/json" }),
      await a.fetch("PATCH", `/v1/files/${id}`, JSON.stringify({ keepLocation: true, name: "x" }), { "content-type": "application/json" }),
    ]) {
      expect(res.status).toBe(400);
      expect((await res.json()).error.code).toBe("VALIDATION_FAILED");
    }
  });

  test("a file that is not an image, or not a readable one, has no derivative and says so", async () => {
    const a = await h.user();
    const text = await (
      await a.fetch("PUT", "/v1/files", new TextEncoder().encode(`notes ${Date.now()}`), { "content-type": "text/plain" })
    ).json();
    const broken = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, ...new TextEncoder().encode(`not really a jpeg ${Date.now()}`)]);
    const bad = await (await put(a, broken)).json();
    // A real header (so its size is read) and then the data cut short: fails while decoding.
    const whole = await jpeg({ width: 400, height: 300, colour: nextColour() });
    const truncated = await (await put(a, whole.subarray(0, Math.floor(whole.length / 2)))).json();
    await h.services.jobs.drain("images");
    expect((await a.get(`/v1/files/${bad.id}`)).body.metadata.imageError).toBe("not a readable image");
    expect((await a.get(`/v1/files/${truncated.id}`)).body.metadata).toMatchObject({
      width: 400,
      height: 300,
      imageError: "not a readable image",
    });
    expect(await derivativeObjects(h, a.info.id)).toEqual([]); // nothing half-made is left behind
    for (const id of [text.id, bad.id, truncated.id]) {
      const res = await a.fetch("GET", `/v1/files/${id}/content?size=320`);
      expect(res.status).toBe(404);
      expect((await res.json()).error.details.reason).toBe("DERIVATIVE_UNAVAILABLE");
    }
  });

  test("IMAGE_MAX_PIXELS: a larger image is described but not decoded", async () => {
    const small = await createHarness({ IMAGE_MAX_PIXELS: "10000" });
    try {
      const a = await small.user();
      const { id } = await (await put(a, await camera())).json();
      await small.services.jobs.drain("images");
      const meta = (await a.get(`/v1/files/${id}`)).body.metadata;
      expect(meta).toMatchObject({ width: 200, height: 400, imageError: "larger than IMAGE_MAX_PIXELS (10000)" });
      expect(meta.derivatives).toBeUndefined();
    } finally {
      await small.close();
    }
  });

  test("another user's derivative and PATCH are 404", async () => {
    const a = await h.user();
    const b = await h.user();
    const { id } = await (await put(a, await camera())).json();
    await h.services.jobs.drain("images");
    expect((await b.fetch("GET", `/v1/files/${id}/content?size=320`)).status).toBe(404);
    expect((await b.patch(`/v1/files/${id}`, { keepLocation: true })).status).toBe(404);
    expect((await b.post(`/v1/files/${id}/url`, { size: 320 })).status).toBe(404);
    expect((await a.get(`/v1/files/${id}`)).body.metadata.keepLocation).toBe(false); // A's file untouched
    expect((await a.fetch("GET", `/v1/files/${id}/content?size=320`)).status).toBe(200);
  });
});

describe("derivatives and deletion", () => {
  test("purging a file removes its derivatives' bytes too", async () => {
    const a = await h.user();
    const { id } = await (await put(a, await camera())).json();
    await h.services.jobs.drain("images");
    expect(await derivativeObjects(h, a.info.id)).toHaveLength(2);
    expect((await a.del(`/v1/files/${id}?purge=true`)).status).toBe(204);
    expect(await derivativeObjects(h, a.info.id)).toEqual([]);
  });

  test("a file purged or deleted while its job waits leaves no derivative behind", async () => {
    const a = await idle.user();
    const purged = await (await put(a, await camera())).json();
    const hidden = await (await put(a, await camera())).json();
    expect((await a.del(`/v1/files/${purged.id}?purge=true`)).status).toBe(204);
    expect((await a.del(`/v1/files/${hidden.id}`)).status).toBe(204);
    // The jobs were queued at upload; now a worker picks them up.
    await idle.services.jobs.start();
    await idle.services.jobs.drain("images");
    expect(await derivativeObjects(idle, a.info.id)).toEqual([]);
    expect((await idle.services.jobs.counts("images")).failed).toBe(0);
  });

  test("a job that finishes after the file was purged removes what it wrote", async () => {
    const a = await h.user();
    const { id } = await (await put(a, await camera())).json();
    await h.services.jobs.drain("images");
    // Simulate the race: the row goes between the job's read and its write.
    const s = h.services;
    const realGet = s.storage.get.bind(s.storage);
    let purgedMeanwhile = false;
    s.storage.get = async (key, range) => {
      const got = await realGet(key, range);
      if (!purgedMeanwhile && key.startsWith(`users/${a.info.id}/`) && !key.includes("derivatives")) {
        purgedMeanwhile = true;
        expect((await a.del(`/v1/files/${id}?purge=true`)).status).toBe(204);
      }
      return got;
    };
    try {
      await makeDerivatives({ ctx: { s }, input: { userId: a.info.id, fileId: id } }).catch(() => {}); // the original may be gone too: either way nothing may remain
    } finally {
      s.storage.get = realGet;
    }
    expect(purgedMeanwhile).toBe(true);
    expect(await derivativeObjects(h, a.info.id)).toEqual([]);
  });
});

describe("images:backfill (full stack)", () => {
  test("queues images that have no derivatives yet, and only those", async () => {
    // Its own harness with no workers (the shared idle one has started its workers by now).
    const stalled = await createHarness({ JOB_WORKERS: "off" });
    const a = await stalled.user();
    const pending = (await (await put(a, await camera())).json()).id as string; // queued under stalled's prefix, never run
    await stalled.close();
    const b = await h.user();
    const done = (await (await put(b, await camera())).json()).id as string;
    await h.services.jobs.drain("images");

    const prefix = `tcc:test-backfill:${process.pid}:${Date.now()}`;
    const DATABASE_URL = process.env.DATABASE_URL ?? "";
    const REDIS_URL = process.env.REDIS_URL ?? "";
    const cli = Bun.spawn([process.execPath, join(import.meta.dir, "../../cli/images-backfill.ts")], {
      env: {
        PATH: process.env.PATH ?? "",
        DATABASE_URL,
        REDIS_URL,
        JOB_QUEUE_PREFIX: prefix,
        DATA_DIR: h.services.env.DATA_DIR,
        LOG_LEVEL: "silent",
      },
      stdout: "pipe",
      stderr: "inherit",
    });
    expect(await cli.exited).toBe(0);
    expect(await new Response(cli.stdout).text()).toMatch(/^queued \d+ images? for derivatives\n$/);

    const queue = new Queue("images", { connection: connectJobRedis(REDIS_URL) as unknown as ConnectionOptions, prefix });
    try {
      expect(await queue.getJob(pending)).toBeDefined();
      expect(await queue.getJob(done)).toBeUndefined();
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });
});
