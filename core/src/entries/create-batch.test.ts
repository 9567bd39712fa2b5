import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rowsOf } from "@tcc/db";
import { sql } from "drizzle-orm";
import { type Client, createHarness, type Harness } from "../../test/harness";
import { whileUncommitted } from "../../test/uncommitted";
import { createEntry } from "./entries";
import { insertBatch } from "./entry-create-batch";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

const query = async <T>(q: ReturnType<typeof sql>) => rowsOf<T>(await h.services.db.primary.execute(q));

/** The transaction ids that wrote these entries: one id for entries written by one statement. */
async function writers(ids: string[]): Promise<{ xid: string; users: number; entries: number }[]> {
  return query(sql`
    select xmin::text as xid, count(distinct user_id)::int as users, count(*)::int as entries
    from entries where id in (select jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb)::uuid)
    group by xmin::text`);
}

const tagRows = (userId: string) =>
  query<{ name: string; name_key: string }>(sql`select name, name_key from tags where user_id = ${userId} order by name_key`);

// Every fourth create names no tag; the rest share two new tags, each spelled three ways, and
// have one of their own.
const tagsOf = (i: number) =>
  i % 4 === 3 ? [] : [["Bike", "BIKE", "bike"][i % 3] as string, ["Rain", "rain", "RAIN"][i % 3] as string, `own${i}`];
const createMany = (u: Client, n: number, label: string) =>
  Array.from({ length: n }, (_, i) => u.post("/v1/entries", { title: `${label} ${i}`, content: `body ${i}`, tags: tagsOf(i) }));

function expectCreated(res: { status: number; body: any }, i: number) {
  expect(res.status).toBe(201);
  const keys = (res.body.tags as string[]).map((t) => t.toLowerCase());
  expect(keys).toEqual(i % 4 === 3 ? [] : ["bike", `own${i}`, "rain"]);
}

describe("plain creates in flight together", () => {
  test("of one user share one statement, one row per new tag, each entry its own tags", async () => {
    const u = await h.user();
    const made = await Promise.all(createMany(u, 24, "one"));
    made.forEach(expectCreated);
    // A shared tag is one row whatever the spelling; every entry shows that row's spelling.
    const rows = await tagRows(u.info.id);
    expect(rows.map((r) => r.name_key)).toEqual(
      ["bike", ...Array.from({ length: 24 }, (_, i) => `own${i}`).filter((_, i) => i % 4 !== 3), "rain"].sort(),
    );
    const bike = rows.find((r) => r.name_key === "bike")?.name;
    for (const res of made) if (res.body.tags.length) expect(res.body.tags[0]).toBe(bike);
    // Stored as answered.
    for (const [i, res] of made.entries()) {
      const read = await u.get(`/v1/entries/${res.body.id}`);
      expect(read.body).toEqual(res.body);
      expect(read.body.title).toBe(`one ${i}`);
    }
    const tags = (await u.get("/v1/tags")).body.items as { name: string; entryCount: number }[];
    expect(tags.find((t) => t.name === bike)?.entryCount).toBe(18);
    // Fewer transactions than creates: some were written together.
    const byXid = await writers(made.map((r) => r.body.id));
    expect(byXid.length).toBeLessThan(24);
    expect(Math.max(...byXid.map((w) => w.entries))).toBeGreaterThan(1);
  }, 30_000);

  test("of two users share a statement, and neither sees the other's entries or tags", async () => {
    const [a, b] = [await h.user(), await h.user()];
    // Made in one turn through the service (over HTTP, whether two users' requests meet in one
    // turn is up to timing), so they are one batch; everything after is checked over HTTP.
    const createOf = (u: Client, label: string, i: number) =>
      createEntry({ ctx: { userId: u.info.id, s: h.services }, input: { title: `${label} ${i}`, content: `body ${i}`, tags: tagsOf(i) } });
    const views = await Promise.all([a, b].flatMap((u, n) => Array.from({ length: 12 }, (_, i) => createOf(u, n ? "b" : "a", i))));
    const made = views.map((body) => ({ status: 201, body: body as any }));
    for (const [i, res] of made.entries()) expectCreated(res, i % 12);
    const byXid = await writers(made.map((r) => r.body.id));
    expect(byXid).toEqual([expect.objectContaining({ users: 2, entries: 24 })]);
    // One row per key per user: the same new names made a tag for each.
    for (const u of [a, b]) {
      const keys = (await tagRows(u.info.id)).map((r) => r.name_key);
      expect(keys.filter((k) => k === "bike" || k === "rain")).toEqual(["bike", "rain"]);
      expect(new Set(keys).size).toBe(keys.length);
    }
    const aIds = made.slice(0, 12).map((r) => r.body.id as string);
    const bIds = made.slice(12).map((r) => r.body.id as string);
    const listed = async (u: Client) => ((await u.get("/v1/entries?limit=100")).body.items as { id: string }[]).map((x) => x.id).sort();
    expect(await listed(a)).toEqual([...aIds].sort());
    expect(await listed(b)).toEqual([...bIds].sort());
    expect((await b.get(`/v1/entries/${aIds[0]}`)).status).toBe(404);
    expect((await a.get(`/v1/entries/${bIds[0]}`)).status).toBe(404);
    // Each user's tag links point at that user's tags only.
    const crossed = await query<{ n: number }>(sql`
      select count(*)::int as n from entry_tags et join tags t on t.id = et.tag_id
      where et.user_id in (${a.info.id}, ${b.info.id}) and t.user_id <> et.user_id`);
    expect(crossed[0]?.n).toBe(0);
  }, 30_000);
});

describe("a new tag committed by another transaction while the batch waits for it", () => {
  // The batch's insert of the tag waits on the other transaction's uncommitted row, then skips it
  // (conflict), and its snapshot, older than that commit, does not see it either.
  const withTagHeld = <T>(userId: string, name: string, meanwhile: () => Promise<T>) =>
    whileUncommitted(
      h.services.db.primary,
      sql`insert into tags (id, user_id, name, name_key) values (${Bun.randomUUIDv7()}, ${userId}, ${name}, ${name.toLowerCase()})`,
      meanwhile,
    );

  test("leaves the batched creates incomplete", async () => {
    const u = await h.user();
    const plain = (title: string) => ({ userId: u.info.id, title, content: "", tags: ["late", "early"] });
    const created = (await withTagHeld(u.info.id, "late", () =>
      insertBatch(h.services.db.primary, [plain("one"), plain("two")]),
    )) as Awaited<ReturnType<typeof insertBatch>>;
    expect(created.map((c) => [c.complete, c.view.tags])).toEqual([
      [false, ["early"]],
      [false, ["early"]],
    ]);
  });

  test("the creates then link it the transactional way", async () => {
    const u = await h.user();
    const made = (await withTagHeld(u.info.id, "late", () =>
      Promise.all(Array.from({ length: 6 }, (_, i) => u.post("/v1/entries", { title: `e${i}`, tags: ["late", "early"] }))),
    )) as { status: number; body: any }[];
    for (const res of made) {
      expect(res.status).toBe(201);
      expect(res.body.tags).toEqual(["early", "late"]);
    }
    expect((await tagRows(u.info.id)).map((r) => r.name_key)).toEqual(["early", "late"]);
    expect((await writers(made.map((r) => r.body.id))).length).toBeLessThan(6);
  }, 30_000);
});

describe("a failing create in a batch", () => {
  test("the batch statement fails as a whole for a user whose row is gone", async () => {
    const [a, gone] = [await h.user(), await h.user()];
    await h.services.db.primary.execute(sql`delete from users where id = ${gone.info.id}`);
    const plain = (userId: string, title: string) => ({ userId, title, content: "", tags: ["shared"] });
    await expect(insertBatch(h.services.db.primary, [plain(a.info.id, "good"), plain(gone.info.id, "orphan")])).rejects.toThrow();
    expect(await query(sql`select id from entries where user_id = ${a.info.id}`)).toEqual([]);
  });

  test("fails only that create: the others of its batch are written", async () => {
    const [a, gone] = [await h.user(), await h.user()];
    // The token stays valid; only the row the entry's foreign key needs is gone.
    await h.services.db.primary.execute(sql`delete from users where id = ${gone.info.id}`);
    const good = createMany(a, 10, "good");
    const bad = gone.post("/v1/entries", { title: "orphan", tags: ["bike"] });
    const more = createMany(a, 10, "more");
    const [made, orphan, moreMade] = await Promise.all([Promise.all(good), bad, Promise.all(more)]);
    // Its own error, not another object's "not found".
    expect(orphan.status).toBe(401);
    expect(orphan.body.error.code).toBe("UNAUTHORIZED");
    made.forEach(expectCreated);
    moreMade.forEach(expectCreated);
    const stored = await query<{ n: number }>(sql`select count(*)::int as n from entries where user_id = ${a.info.id}`);
    expect(stored[0]?.n).toBe(20);
    expect(await query(sql`select id from entries where user_id = ${gone.info.id}`)).toEqual([]);
  }, 30_000);
});
