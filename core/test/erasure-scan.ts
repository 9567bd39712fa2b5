import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { rowsOf } from "@tcc/db";
import { sql } from "drizzle-orm";
import Redis from "ioredis";
import type { Harness } from "./harness";

/**
 * Every (table, column) of the database whose text holds any of `needles` (case-insensitive):
 * each table's whole row as text is searched first, then the columns of the tables that hit.
 */
export async function tablesHolding(h: Harness, needles: string[]): Promise<string[]> {
  const db = h.services.db.primary;
  const columns = rowsOf<{ table_name: string; column_name: string }>(
    await db.execute(sql`select c.table_name, c.column_name from information_schema.columns c
      join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name and t.table_type = 'BASE TABLE'
      where c.table_schema = current_schema() order by 1, 2`),
  );
  const tables = [...new Set(columns.map((c) => c.table_name))];
  const patterns = needles.map((n) => `%${n.toLowerCase().replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`);
  const count = async (expr: ReturnType<typeof sql>, table: string) =>
    rowsOf<{ n: number }>(
      await db.execute(
        sql`select count(*)::int as n from ${sql.identifier(table)} r where lower(${expr}) like any(array[${sql.join(
          patterns.map((p) => sql`${p}`),
          sql`, `,
        )}]::text[])`,
      ),
    )[0]?.n ?? 0;
  const hits: string[] = [];
  for (const t of tables) {
    if ((await count(sql`r::text`, t)) === 0) continue;
    for (const c of columns.filter((c) => c.table_name === t)) {
      if ((await count(sql`r.${sql.identifier(c.column_name)}::text`, t)) > 0) hits.push(`${t}.${c.column_name}`);
    }
  }
  return hits;
}

function walk(dir: string): string[] {
  let out: string[] = [];
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of names) {
    const p = join(dir, name);
    out = statSync(p).isDirectory() ? out.concat(walk(p)) : out.concat(p);
  }
  return out;
}

/** Stored objects (local driver) whose path or bytes hold any of `needles`. */
export function storageHolding(h: Harness, needles: string[]): string[] {
  const root = h.services.env.FILES_DIR ?? join(h.services.env.DATA_DIR, "files");
  const hits: string[] = [];
  for (const file of walk(root)) {
    const bytes = statSync(file).size < 4 * 1024 * 1024 ? readFileSync(file).toString("latin1") : "";
    for (const needle of needles) if (file.includes(needle) || bytes.includes(needle)) hits.push(`${file} holds ${needle}`);
  }
  return hits;
}

/** Redis keys naming any of `needles`, and string or hash values (cached reads, queued jobs) holding them. */
export async function redisHolding(needles: string[]): Promise<string[]> {
  const redis = new Redis(process.env.REDIS_URL as string, { lazyConnect: true });
  await redis.connect();
  const hits: string[] = [];
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "COUNT", 1000);
      cursor = next;
      for (const key of keys) {
        const type = await redis.type(key);
        const value = type === "string" ? ((await redis.get(key)) ?? "") : type === "hash" ? JSON.stringify(await redis.hgetall(key)) : "";
        for (const needle of needles) if (key.includes(needle) || value.includes(needle)) hits.push(`${key} holds ${needle}`);
      }
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
  return hits;
}
