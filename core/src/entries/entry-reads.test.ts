import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Drizzle, schema } from "@tcc/db";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { type Client, createHarness, type Harness } from "../../test/harness";
import { readLiveEntry } from "./entries";

// Uncached reads by id made in one turn go to PostgreSQL as one statement (entries.ts).

let h: Harness;
// The same database as the app's, on a client of its own that counts the statements it sends.
const sent: string[] = [];
// (postgres.js's own type lookup on connecting is not ours to count.)
const observed = postgres(process.env.DATABASE_URL as string, {
  max: 2,
  onnotice: () => {},
  debug: (_c, query) => query.includes('from "entries"') && sent.push(query),
});
const db = drizzle({ client: observed, schema }) as unknown as Drizzle;
beforeAll(async () => {
  h = await createHarness({ READ_CACHE: "off" });
});
afterAll(async () => {
  await observed.end();
  await h.close();
});

async function entriesOf(u: Client, n: number, label: string): Promise<{ id: string; title: string; tags: string[] }[]> {
  const made = await Promise.all(
    Array.from({ length: n }, (_, i) => u.post("/v1/entries", { title: `${label} ${i}`, tags: [`${label}-tag`] })),
  );
  for (const res of made) expect(res.status).toBe(201);
  return made.map((res) => res.body);
}

describe("entry reads batched per turn", () => {
  test("reads made in one turn are one statement, each answered with its own user's entry or nothing", async () => {
    const [a, b] = [await h.user("a"), await h.user("b")];
    const [mineA, mineB] = [await entriesOf(a, 6, "alpha"), await entriesOf(b, 6, "beta")];
    const trashed = mineA[5] as { id: string };
    expect((await a.del(`/v1/entries/${trashed.id}`)).status).toBe(204);
    const keys = [
      ...mineA.map(({ id }) => ({ userId: a.info.id, id })),
      ...mineB.map(({ id }) => ({ userId: b.info.id, id })),
      // Another user's ids, asked in the same batch as their owner's: nothing.
      ...mineA.map(({ id }) => ({ userId: b.info.id, id })),
      // The same key twice: both get it.
      { userId: b.info.id, id: (mineB[0] as { id: string }).id },
      { userId: a.info.id, id: crypto.randomUUID() },
    ];
    sent.length = 0;
    const got = await Promise.all(keys.map((k) => readLiveEntry(db, k)));
    expect(sent).toHaveLength(1);
    expect(sent[0]).toContain("jsonb_to_recordset");
    const titles = got.map((v) => v?.title ?? null);
    expect(titles).toEqual([
      ...mineA.slice(0, 5).map((e) => e.title),
      null, // in the trash
      ...mineB.map((e) => e.title),
      ...mineA.map(() => null),
      (mineB[0] as { title: string }).title,
      null,
    ]);
    expect(got[0]?.tags).toEqual(["alpha-tag"]);
    expect(got[6]?.tags).toEqual(["beta-tag"]);
  });

  test("a turn with one read sends the single-row statement", async () => {
    const a = await h.user();
    const [entry] = await entriesOf(a, 1, "solo");
    sent.length = 0;
    const got = await readLiveEntry(db, { userId: a.info.id, id: (entry as { id: string }).id });
    expect(got?.title).toBe("solo 0");
    expect(sent).toHaveLength(1);
    expect(sent[0]).not.toContain("jsonb_to_recordset");
  });

  test("GETs of two users in flight at once: each gets their own entries, and 404 for the other's", async () => {
    const [a, b] = [await h.user("a"), await h.user("b")];
    const [mineA, mineB] = [await entriesOf(a, 10, "own-a"), await entriesOf(b, 10, "own-b")];
    const asks = [
      ...mineA.map((e) => ({ who: a, e, want: 200 })),
      ...mineB.map((e) => ({ who: b, e, want: 200 })),
      ...mineA.map((e) => ({ who: b, e, want: 404 })),
      ...mineB.map((e) => ({ who: a, e, want: 404 })),
    ];
    const res = await Promise.all(asks.map(({ who, e }) => who.get(`/v1/entries/${e.id}`)));
    for (const [i, { e, want }] of asks.entries()) {
      expect(res[i]?.status).toBe(want);
      if (want === 200) expect(res[i]?.body).toMatchObject({ id: e.id, title: e.title, tags: e.tags });
      else expect(res[i]?.body.error.code).toBe("NOT_FOUND");
    }
  });

  test("a malformed id is a validation error, not a read", async () => {
    const a = await h.user();
    const res = await a.get("/v1/entries/not-a-uuid");
    expect(res.status).toBe(400);
  });
});
