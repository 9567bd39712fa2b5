import { describe, expect, test } from "bun:test";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import { migrationsFolder } from "./migrate";

/** The migrations up to (not including) `tag`, as a folder drizzle's migrator reads. */
function migrationsBefore(tag: string): string {
  const dir = mkdtempSync(join(tmpdir(), "tcc-migrations-"));
  const journal = JSON.parse(readFileSync(join(migrationsFolder, "meta/_journal.json"), "utf8"));
  const cut = journal.entries.findIndex((e: { tag: string }) => e.tag === tag);
  journal.entries = journal.entries.slice(0, cut);
  mkdirSync(join(dir, "meta"));
  writeFileSync(join(dir, "meta/_journal.json"), JSON.stringify(journal));
  for (const e of journal.entries) copyFileSync(join(migrationsFolder, `${e.tag}.sql`), join(dir, `${e.tag}.sql`));
  return dir;
}

async function migrateTo(url: string, folder: string) {
  const client = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await migratePostgres(drizzle({ client }), { migrationsFolder: folder });
  } finally {
    await client.end();
  }
}

describe("migration 0004_tag_keys", () => {
  test("fills name keys and merges tags and topics that are now one name, losing no entry's tag or topic", async () => {
    const base = process.env.DATABASE_URL;
    if (!base) throw new Error("DATABASE_URL is not set: run the suite with `npm test`");
    const name = `tcc_migration_${process.pid}_${Date.now()}`;
    const admin = postgres(base, { max: 1, onnotice: () => {} });
    const url = new URL(base);
    url.pathname = `/${name}`;
    const old = migrationsBefore("0004_tag_keys");
    await admin.unsafe(`create database ${name}`);
    try {
      await migrateTo(url.toString(), old);
      const db = postgres(url.toString(), { max: 1, onnotice: () => {} });
      try {
        const [u] = await db`insert into users (id, email, password_hash) values (gen_random_uuid(), 'a@example.test', 'x') returning id`;
        const [v] = await db`insert into users (id, email, password_hash) values (gen_random_uuid(), 'b@example.test', 'x') returning id`;
        const tag = async (user: string, n: string, at: string) =>
          (await db`insert into tags (id, user_id, name, created_at) values (gen_random_uuid(), ${user}, ${n}, ${at}) returning id`)[0]?.id;
        const topic = async (user: string, n: string, at: string) =>
          (
            await db`insert into topics (id, user_id, name, description, created_at) values (gen_random_uuid(), ${user}, ${n}, ${n}, ${at}) returning id`
          )[0]?.id;
        const entry = async (user: string, title: string, topicId: string | null, tagIds: string[]) => {
          const [e] =
            await db`insert into entries (id, user_id, title, topic_id) values (gen_random_uuid(), ${user}, ${title}, ${topicId}) returning id`;
          for (const t of tagIds) await db`insert into entry_tags (user_id, entry_id, tag_id) values (${user}, ${e?.id}, ${t})`;
          return e?.id as string;
        };
        // lower() in Postgres keeps these apart; the new key does not.
        const sigmaOld = await tag(u?.id, "ΟΔΟΣ", "2026-01-01T00:00:00Z");
        const sigmaNew = await tag(u?.id, "οδος", "2026-01-02T00:00:00Z");
        const strasse = await tag(u?.id, "STRASSE", "2026-01-03T00:00:00Z");
        const strasseOld = await tag(u?.id, "Straße", "2026-01-01T00:00:00Z");
        const others = await tag(v?.id, "ΟΔΟΣ", "2026-01-05T00:00:00Z"); // another user's: untouched
        const topicOld = await topic(u?.id, "Café", "2026-01-01T00:00:00Z");
        const topicNew = await topic(u?.id, "CAFE\u0301", "2026-01-02T00:00:00Z");
        const e1 = await entry(u?.id, "one", topicNew, [sigmaNew, strasse]);
        const e2 = await entry(u?.id, "two", topicOld, [sigmaOld, sigmaNew]);
        const e3 = await entry(u?.id, "three", null, [strasseOld]);
        const e4 = await entry(v?.id, "four", null, [others]);

        await migrateTo(url.toString(), migrationsFolder);

        const tags = await db`select id, user_id, name, name_key from tags order by user_id = ${u?.id} desc, name_key`;
        expect(tags.filter((t) => t.user_id === u?.id).map((t) => [t.id, t.name, t.name_key])).toEqual([
          [strasseOld, "Straße", "strasse"],
          [sigmaOld, "ΟΔΟΣ", "οδοσ"],
        ]);
        expect(tags.filter((t) => t.user_id === v?.id).map((t) => t.id)).toEqual([others]);
        const links = await db`select entry_id, tag_id from entry_tags`;
        const of = (e: string) =>
          links
            .filter((l) => l.entry_id === e)
            .map((l) => l.tag_id as string)
            .sort();
        expect(of(e1)).toEqual([sigmaOld, strasseOld].sort());
        expect(of(e2)).toEqual([sigmaOld]);
        expect(of(e3)).toEqual([strasseOld]);
        expect(of(e4)).toEqual([others]);
        const topics = await db`select id, name, name_key from topics`;
        expect(topics.map((t) => [t.id, t.name, t.name_key])).toEqual([[topicOld, "Café", "café"]]);
        const entryTopics = await db`select id, topic_id from entries where user_id = ${u?.id}`;
        expect(Object.fromEntries(entryTopics.map((e) => [e.id, e.topic_id]))).toEqual({ [e1]: topicOld, [e2]: topicOld, [e3]: null });
        // The unique indexes are on the key now.
        await expect(
          db`insert into tags (id, user_id, name, name_key) values (gen_random_uuid(), ${u?.id}, 'STRASSE', 'strasse')`,
        ).rejects.toThrow(/tags_user_name_key_uq/);
      } finally {
        await db.end();
      }
    } finally {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
      rmSync(old, { recursive: true, force: true });
    }
  });
});
