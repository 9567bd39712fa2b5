import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { schema } from "@tcc/db";
import { eq } from "drizzle-orm";
import { type Client, createHarness, type Harness } from "../../test/harness";
import { jpeg, nextColour } from "../../test/jpeg";
import { exportKey } from "../privacy/export";
import { LocalStorage } from "../storage";
import { makeDerivatives } from "./images/derivative-job";
import { derivativeKeys } from "./images/derivatives";
import { sweepOrphans } from "./orphans";

// s3rver ships no types; this is the little of it the tests use.
type S3rverServer = { run(): Promise<{ port: number }>; close(): Promise<void> };
const S3rver: new (opts: Record<string, unknown>) => S3rverServer = require("s3rver");

const GRACE_S = 3600;

async function local() {
  const h = await createHarness({ ORPHAN_GRACE_S: String(GRACE_S), JOB_WORKERS: "off" });
  return { h, close: () => h.close() };
}

async function s3() {
  const dir = await mkdtemp(join(tmpdir(), "tcc-s3rver-orphans-"));
  const server = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory: dir, configureBuckets: [{ name: "tcc-orphans" }] });
  const { port } = await server.run();
  const h = await createHarness({
    ORPHAN_GRACE_S: String(GRACE_S),
    JOB_WORKERS: "off",
    STORAGE_DRIVER: "s3",
    S3_ENDPOINT: `http://127.0.0.1:${port}`,
    S3_BUCKET: "tcc-orphans",
    S3_REGION: "us-east-1",
    S3_ACCESS_KEY_ID: "S3RVER",
    S3_SECRET_ACCESS_KEY: "S3RVER",
    S3_VIRTUAL_HOSTED_STYLE: "false",
  });
  return {
    h,
    async close() {
      await h.close();
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

const sha = (b: Uint8Array) => new Bun.CryptoHasher("sha256").update(b).digest("hex");
const uuid = () => Bun.randomUUIDv7();

describe.each([
  ["filesystem", local],
  ["S3 (s3rver on loopback)", s3],
] as const)("the orphan sweep on %s storage", (_name, make) => {
  let d: Awaited<ReturnType<typeof local>>;
  let h: Harness;
  beforeAll(async () => {
    d = await make();
    h = d.h;
  });
  afterAll(() => d.close());

  /** The sweep as it would run once the grace period has passed for everything stored now. */
  const sweepLater = () => sweepOrphans({ ctx: { s: { ...h.services, clock: () => new Date(Date.now() + (GRACE_S + 60) * 1000) } } });
  const exists = (key: string) => h.services.storage.exists(key);
  const store = (key: string) => h.services.storage.put(key, new TextEncoder().encode(`orphan ${key}`));

  async function upload(u: Client, body: Uint8Array, type: string): Promise<string> {
    const res = await u.fetch("PUT", "/v1/files", body, { "content-type": type });
    expect(res.status).toBe(201);
    return (await res.json()).id;
  }
  const fileRow = async (id: string) => (await h.services.db.primary.select().from(schema.files).where(eq(schema.files.id, id)))[0];

  test("objects no row names go once older than the grace period; every object a row names stays, and fresh ones too", async () => {
    const a = await h.user();
    const u = a.info.id;
    // Live: an image with its derivatives, a trashed file (restorable, so its bytes stay), an export in progress.
    const imageId = await upload(a, await jpeg({ width: 500, height: 300, colour: nextColour() }), "image/jpeg");
    await makeDerivatives({ ctx: { s: h.services }, input: { userId: u, fileId: imageId } });
    const image = await fileRow(imageId);
    const trashedId = await upload(a, new TextEncoder().encode(`trashed ${uuid()}`), "text/plain");
    expect((await a.del(`/v1/files/${trashedId}`)).status).toBe(204);
    const [running] = await h.services.db.primary.insert(schema.dataExports).values({ userId: u, status: "running" }).returning();
    const liveArchive = exportKey(u, running?.id as string);
    await store(liveArchive);
    const unknown = `users/${u}/notes/not-core-s`;
    await store(unknown);
    const live = [image?.storageKey as string, ...derivativeKeys(image?.metadata ?? {}), (await fileRow(trashedId))?.storageKey as string];
    expect(live).toHaveLength(4);
    live.push(liveArchive, unknown);

    // Orphans, one of each kind core writes.
    const lost = new TextEncoder().encode(`crashed before its row ${uuid()}`);
    const orphans = [
      `users/${u}/${sha(lost)}`,
      `users/${u}/uploads/${uuid()}`,
      `users/${u}/derivatives/${imageId}/${uuid()}-320.webp`,
      `users/${u}/derivatives/${uuid()}/${uuid()}-1280.webp`,
      exportKey(u, uuid()),
    ];
    for (const key of orphans) await store(key);

    const now = await sweepOrphans({ ctx: { s: h.services } });
    expect(now.removed).toBe(0); // all still inside the grace period
    for (const key of [...live, ...orphans]) expect(await exists(key)).toBe(true);

    const later = await sweepLater();
    expect(later.removed).toBeGreaterThanOrEqual(orphans.length);
    for (const key of orphans) expect(await exists(key)).toBe(false);
    for (const key of live) expect(await exists(key)).toBe(true);
    expect((await a.fetch("GET", `/v1/files/${imageId}/content?size=320`)).status).toBe(200);
  });

  test("while an upload of the user is in flight, unreferenced originals and staging objects wait", async () => {
    const b = await h.user();
    const original = `users/${b.info.id}/${sha(new TextEncoder().encode(uuid()))}`;
    const staging = `users/${b.info.id}/uploads/${uuid()}`;
    await store(original);
    await store(staging);
    const r = schema.storageReservations;
    // An upload streaming (its reservation expired long ago: it may still be between bytes and row).
    await h.services.db.primary.insert(r).values({ userId: b.info.id, bytes: 10, expiresAt: new Date(Date.now() - 3600_000) });
    await sweepLater();
    expect(await exists(original)).toBe(true);
    expect(await exists(staging)).toBe(true);
    await h.services.db.primary.delete(r).where(eq(r.userId, b.info.id));
    await sweepLater();
    expect(await exists(original)).toBe(false);
    expect(await exists(staging)).toBe(false);
  });

  test("a half-written upload left by a killed process goes with the orphans (local driver)", async () => {
    const storage = h.services.storage;
    if (!(storage instanceof LocalStorage)) return expect(await storage.dropIncomplete(new Date())).toBe(0); // S3 never shows them
    const tmp = join(storage.root, ".tmp");
    await mkdir(tmp, { recursive: true });
    const dead = join(tmp, `killed-${uuid()}`);
    await writeFile(dead, "half an upload");
    expect((await sweepOrphans({ ctx: { s: h.services } })).removed).toBe(0); // young: maybe still streaming
    expect(await Bun.file(dead).exists()).toBe(true);
    await sweepLater();
    expect(await Bun.file(dead).exists()).toBe(false);
  });

  test("two sweeps at once remove each orphan without error", async () => {
    const c = await h.user();
    const keys = Array.from({ length: 8 }, () => `users/${c.info.id}/uploads/${uuid()}`);
    for (const key of keys) await store(key);
    // Deletes are idempotent: both may remove the same orphan, neither fails for it.
    const [one, two] = await Promise.all([sweepLater(), sweepLater()]);
    expect(one.removed + two.removed).toBeGreaterThanOrEqual(keys.length);
    for (const key of keys) expect(await exists(key)).toBe(false);
  });
});
