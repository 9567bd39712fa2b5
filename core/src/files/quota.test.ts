import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { schema } from "@tcc/db";
import { eq } from "drizzle-orm";
import { type Client, createHarness, type Harness } from "../../test/harness";
import { runStartupSweeps } from "../startup-sweeps";
import { RESERVATION_TTL_MS, sweepExpiredReservations } from "./quota";

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ USER_QUOTA_BYTES: "3000" });
});
afterAll(() => h.close());

let n = 0;
/** `size` bytes nobody else uploads (dedupe would otherwise join them). */
const bytes = (size: number) => {
  const b = new Uint8Array(size).fill(97 + (n % 20));
  b.set(new TextEncoder().encode(`${Date.now()} ${process.pid} ${++n} `));
  return b;
};
const put = (u: Client, body: RequestInit["body"], headers: Record<string, string> = {}) =>
  u.fetch("PUT", "/v1/files", body, { "content-type": "text/plain", ...headers });
/** A body of unknown length (no Content-Length), arriving in chunks. */
const streamed = (b: Uint8Array) =>
  new ReadableStream<Uint8Array>({
    async start(controller) {
      for (let i = 0; i < b.length; i += 500) {
        controller.enqueue(b.subarray(i, i + 500));
        await Bun.sleep(1);
      }
      controller.close();
    },
  });
const reservations = (userId: string) =>
  h.services.db.primary.select().from(schema.storageReservations).where(eq(schema.storageReservations.userId, userId));
const stored = async (u: Client) => (await u.get("/v1/files")).body.items as { id: string; size: number }[];

describe("files: the quota holds under parallel uploads", () => {
  test("eight parallel 2,500-byte uploads against 3,000 bytes: one is stored, seven are 413", async () => {
    for (const withLength of [true, false]) {
      const a = await h.user();
      const results = await Promise.all(
        Array.from({ length: 8 }, () => {
          const b = bytes(2500);
          return withLength ? put(a, b, { "content-length": String(b.length) }) : put(a, streamed(b));
        }),
      );
      const statuses = results.map((r) => r.status).sort();
      expect(statuses).toEqual([201, 413, 413, 413, 413, 413, 413, 413]);
      for (const r of results.filter((r) => r.status === 413)) expect((await r.json()).error.code).toBe("PAYLOAD_TOO_LARGE");
      expect((await stored(a)).map((f) => f.size)).toEqual([2500]);
      expect(await reservations(a.info.id)).toEqual([]);
    }
  });

  test("soft-deleted files count until purged: delete-and-reupload cannot grow storage", async () => {
    const a = await h.user();
    const first = await (await put(a, bytes(2500))).json();
    expect((await a.del(`/v1/files/${first.id}`)).status).toBe(204);
    const again = await put(a, bytes(2500));
    expect(again.status).toBe(413);
    expect((await again.json()).error.details).toMatchObject({ quotaBytes: 3000, usedBytes: 2500 });
    expect((await a.del(`/v1/files/${first.id}?purge=true`)).status).toBe(204);
    expect((await put(a, bytes(2500))).status).toBe(201);
  });

  test("a failed upload gives its room back", async () => {
    const a = await h.user();
    let sent = 0;
    const broken = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 3) controller.enqueue(new Uint8Array(500).fill(120));
        else controller.error(new Error("connection reset"));
      },
    });
    expect((await put(a, broken)).status).toBe(400);
    expect(await reservations(a.info.id)).toEqual([]);
    expect((await put(a, bytes(2900))).status).toBe(201);
  });

  test("a reservation left by a crashed upload stops counting when it expires and is swept", async () => {
    const a = await h.user();
    const { storageReservations: r } = schema;
    const now = h.services.clock().getTime();
    await h.services.db.primary.insert(r).values({ userId: a.info.id, bytes: 3000, expiresAt: new Date(now + RESERVATION_TTL_MS) });
    expect((await put(a, bytes(100))).status).toBe(413);
    await h.services.db.primary
      .update(r)
      .set({ expiresAt: new Date(now - 1) })
      .where(eq(r.userId, a.info.id));
    expect((await put(a, bytes(100))).status).toBe(201);
    expect(await sweepExpiredReservations({ ctx: { s: h.services } })).toBeGreaterThanOrEqual(1);
    expect(await reservations(a.info.id)).toEqual([]);
    // And the schedule main.ts sets once it listens runs the same sweep (its first run at once).
    await h.services.db.primary.insert(r).values({ userId: a.info.id, bytes: 10, expiresAt: new Date(now - 1) });
    await runStartupSweeps(h.services);
    const deadline = Date.now() + 20_000;
    while ((await reservations(a.info.id)).length > 0 && Date.now() < deadline) await Bun.sleep(50);
    expect(await reservations(a.info.id)).toEqual([]);
  });

  test("another user's uploads do not use my quota", async () => {
    const a = await h.user();
    const b = await h.user();
    expect((await put(a, bytes(2900))).status).toBe(201);
    expect((await put(b, bytes(2900))).status).toBe(201);
  });
});
