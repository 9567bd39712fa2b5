// Lock order between adding a file to a gallery and changing that file. Adding an item locks
// the gallery row (the version bump) and then, through the item's foreign key, takes a
// key-share lock on the file row. Recording derivatives (the image job) and PATCHing
// keepLocation locked the file row FOR UPDATE and then bumped the galleries showing it: the
// opposite order, so the two deadlocked now and then (found by the edge-gallery load scenario:
// "deadlock detected", a 500 on POST /v1/galleries/{id}/items). They now lock the file FOR NO
// KEY UPDATE, which a key-share lock does not wait for.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import postgres from "postgres";
import { createHarness, type Harness } from "./harness";
import { png } from "./png";

let h: Harness;
let sql: postgres.Sql;
beforeAll(async () => {
  // No job workers: the derivative job must not touch the file while the test holds its locks.
  h = await createHarness({ JOB_WORKERS: "off" });
  sql = postgres(process.env.DATABASE_URL as string, { max: 1, onnotice: () => {} });
});
afterAll(async () => {
  await sql.end();
  await h.close();
});

describe("gallery item appends and file changes", () => {
  test("an item insert holding the gallery and a keepLocation change holding the file both finish", async () => {
    const u = await h.user();
    const up = await u.fetch("PUT", "/v1/files?name=lock.png&keepLocation=true", png(8, 8, [1, 2, 3]), { "content-type": "image/png" });
    expect(up.status).toBe(201);
    const fileId = (await up.json()).id as string;
    const gallery = (await u.post("/v1/galleries", { title: "locks" })).body.id as string;
    expect((await u.post(`/v1/galleries/${gallery}/items`, { fileId })).status).toBe(201);

    let patch: Promise<{ status: number }> | undefined;
    await sql.begin(async (tx) => {
      // What POST /items does first: the gallery row, locked by its version bump.
      await tx`update galleries set version = version + 1 where id = ${gallery}`;
      // Turning keepLocation off locks the file, then bumps the galleries showing it: it waits for us.
      patch = u.patch(`/v1/files/${fileId}`, { keepLocation: false });
      await Bun.sleep(300);
      // What POST /items does next: insert the item, whose foreign key key-share-locks the file.
      // With the file locked FOR UPDATE this waited on the PATCH, which waits on us: deadlock.
      await tx`insert into gallery_items (id, user_id, gallery_id, file_id, position)
        values (${Bun.randomUUIDv7()}, ${u.info.id}, ${gallery}, ${fileId}, 99)`;
    });
    expect((await patch)?.status).toBe(200);
    const items = (await u.get(`/v1/galleries/${gallery}`)).body.items;
    expect(items).toHaveLength(2);
    expect((await u.get(`/v1/files/${fileId}`)).body.metadata.keepLocation).toBe(false);
  }, 20_000);
});
