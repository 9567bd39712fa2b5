import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { schema } from "@tcc/db";
import { eq, inArray } from "drizzle-orm";
import { type Client, createEmbedded, createHarness, type Harness } from "../../test/harness";
import { jpeg, nextColour } from "../../test/jpeg";
import { closeServices } from "../bootstrap";
import { runStartupSweeps } from "../startup-sweeps";
import type { ObjectStorage } from "../storage";
import { makeDerivatives } from "./images/derivative-job";
import { derivativeKeys } from "./images/derivatives";
import { sweepOrphans } from "./orphans";
import { sweepTrash } from "./trash";

const QUOTA = 1_000_000;
const DAY_MS = 24 * 3600 * 1000;
const f = schema.files;

let h: Harness;
beforeAll(async () => {
  // Workers off: the test makes derivatives itself, and no scheduled sweep runs behind its back.
  h = await createHarness({ USER_QUOTA_BYTES: String(QUOTA), JOB_WORKERS: "off" });
});
afterAll(() => h.close());

let n = 0;
const text = (size: number) => {
  const b = new Uint8Array(size).fill(97 + (n % 20));
  b.set(new TextEncoder().encode(`${Date.now()} ${process.pid} ${++n} ${Math.random()} `));
  return b;
};
async function upload(u: Client, body: Uint8Array, type = "text/plain"): Promise<{ id: string; size: number }> {
  const res = await u.fetch("PUT", "/v1/files", body, { "content-type": type });
  expect(res.status).toBe(201);
  return res.json();
}
const row = async (id: string) => (await h.services.db.primary.select().from(f).where(eq(f.id, id)))[0];
/** Trashed `days` ago. */
async function trash(u: Client, id: string, days: number) {
  expect((await u.del(`/v1/files/${id}`)).status).toBe(204);
  await h.services.db.primary
    .update(f)
    .set({ deletedAt: new Date(Date.now() - days * DAY_MS) })
    .where(eq(f.id, id));
}
/** The bytes the quota counts for `u`, as a refused upload reports them. */
async function usedBytes(u: Client): Promise<number> {
  const res = await u.fetch("PUT", "/v1/files", text(QUOTA + 1), { "content-type": "text/plain", "content-length": String(QUOTA + 1) });
  expect(res.status).toBe(413);
  return (await res.json()).error.details.usedBytes;
}

describe("the trash sweep", () => {
  test("a file trashed longer ago than the retention goes (row, bytes, derivatives, quota); one inside it, or restored, stays", async () => {
    const a = await h.user();
    const image = await upload(a, await jpeg({ width: 600, height: 400, colour: nextColour() }), "image/jpeg");
    await makeDerivatives({ ctx: { s: h.services }, input: { userId: a.info.id, fileId: image.id } });
    const imageRow = await row(image.id);
    const derivatives = derivativeKeys(imageRow?.metadata ?? {});
    expect(derivatives).toHaveLength(2);
    const recent = await upload(a, text(3000));
    const restoredBytes = text(2000);
    const restored = await upload(a, restoredBytes);
    await trash(a, image.id, 31);
    await trash(a, recent.id, 29);
    await trash(a, restored.id, 31);
    expect((await upload(a, restoredBytes)).id).toBe(restored.id); // uploading it again brings it back
    expect(await usedBytes(a)).toBe(image.size + recent.size + restored.size);

    const result = await sweepTrash({ ctx: { s: h.services } });
    expect(result.purged).toBeGreaterThanOrEqual(1);
    expect(result.failed).toBe(0);

    expect(await row(image.id)).toBeUndefined();
    for (const key of [imageRow?.storageKey as string, ...derivatives]) expect(await h.services.storage.exists(key)).toBe(false);
    expect(await usedBytes(a)).toBe(recent.size + restored.size);
    const kept = await row(recent.id);
    expect(kept?.deletedAt).not.toBeNull();
    expect(await h.services.storage.exists(kept?.storageKey as string)).toBe(true);
    const back = await row(restored.id);
    expect(back?.deletedAt).toBeNull();
    expect((await a.get(`/v1/files/${restored.id}`)).status).toBe(200);
    expect(await h.services.storage.exists(back?.storageKey as string)).toBe(true);
  });

  test("two sweeps at once purge each file exactly once, without errors", async () => {
    const a = await h.user();
    const files = [];
    for (let i = 0; i < 6; i++) files.push(await upload(a, text(500)));
    for (const file of files) await trash(a, file.id, 40);
    const keys = (
      await h.services.db.primary
        .select({ key: f.storageKey })
        .from(f)
        .where(
          inArray(
            f.id,
            files.map((x) => x.id),
          ),
        )
    ).map((r) => r.key);
    // The real storage, with its deletes counted.
    const real = h.services.storage;
    const deletes = new Map<string, number>();
    const storage: ObjectStorage = Object.assign(Object.create(real), {
      delete: (key: string) => {
        deletes.set(key, (deletes.get(key) ?? 0) + 1);
        return real.delete(key);
      },
    });
    const s = { ...h.services, storage };
    const [one, two] = await Promise.all([sweepTrash({ ctx: { s } }), sweepTrash({ ctx: { s } })]);
    expect(one.failed + two.failed).toBe(0);
    expect(one.purged + two.purged).toBe(files.length);
    expect(
      await h.services.db.primary
        .select()
        .from(f)
        .where(
          inArray(
            f.id,
            files.map((x) => x.id),
          ),
        ),
    ).toEqual([]);
    for (const key of keys) {
      expect(deletes.get(key)).toBe(1);
      expect(await real.exists(key)).toBe(false);
    }
    expect(await usedBytes(a)).toBe(0);
  });
});

describe("the sweeps run on a schedule", () => {
  test("embedded default: the in-process queue purges trash every STORAGE_SWEEP_INTERVAL_S, not only at start", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tcc-embedded-trash-"));
    const { services, client } = await createEmbedded(dir, { FILE_TRASH_RETENTION_DAYS: "0", STORAGE_SWEEP_INTERVAL_S: "1" });
    try {
      expect(services.jobs.kind).toBe("memory");
      // A database without a single user beside stored objects is the wrong database, not a
      // world of orphans: the orphan sweep removes nothing, however old the objects.
      const stray = `users/${Bun.randomUUIDv7()}/${"ab".repeat(32)}`;
      await services.storage.put(stray, new Uint8Array([1]));
      const twoDaysLater = { ...services, clock: () => new Date(Date.now() + 2 * DAY_MS) };
      expect(await sweepOrphans({ ctx: { s: twoDaysLater } })).toMatchObject({ listed: 1, removed: 0 });
      expect(await services.storage.exists(stray)).toBe(true);

      const reg = await client.post("/v1/auth/register", { email: "trash@example.test", password: "embedded password" });
      const me = client.withToken(reg.body.accessToken);
      await runStartupSweeps(services); // what main.ts runs once it listens
      await services.jobs.drain("storage-sweeps", 30_000);
      // Trashed after the first runs: only a later, scheduled run can purge it.
      const file = await upload(me, text(700));
      const key = (await services.db.primary.select().from(f).where(eq(f.id, file.id)))[0]?.storageKey as string;
      expect((await me.del(`/v1/files/${file.id}`)).status).toBe(204);
      const deadline = Date.now() + 30_000;
      while ((await services.storage.exists(key)) && Date.now() < deadline) await Bun.sleep(100);
      expect(await services.storage.exists(key)).toBe(false);
      expect(await services.db.primary.select().from(f).where(eq(f.id, file.id))).toEqual([]);
    } finally {
      await closeServices(services);
    }
  }, 120_000);
});
