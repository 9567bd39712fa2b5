import { fileURLToPath } from "node:url";
import { sql } from "drizzle-orm";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import type { Database } from "./types";

export const migrationsFolder = fileURLToPath(new URL("../migrations", import.meta.url));

// Arbitrary constant: every core replica starting at once serialises on this advisory lock.
const MIGRATION_LOCK = 7_310_421_001;

/** Applies pending migrations; applying again is a no-op. */
export async function migrate(db: Database, databaseUrl?: string): Promise<void> {
  if (db.driver === "pglite") {
    // biome-ignore lint/suspicious/noExplicitAny: the pglite migrator wants its own driver type
    await migratePglite(db.primary as any, { migrationsFolder });
    return;
  }
  if (!databaseUrl) throw new Error("migrate: databaseUrl is required for postgres");
  // A dedicated single connection: advisory locks belong to a session, not a pool.
  const client = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const conn = drizzle({ client });
    await conn.execute(sql`select pg_advisory_lock(${MIGRATION_LOCK})`);
    try {
      await migratePostgres(conn, { migrationsFolder });
    } finally {
      await conn.execute(sql`select pg_advisory_unlock(${MIGRATION_LOCK})`);
    }
  } finally {
    await client.end({ timeout: 5 });
  }
}

/** The dimension the live `document_embeddings.embedding` column was created with. */
export async function embeddingDims(db: Database): Promise<number | null> {
  const rows = (await db.primary.execute(
    sql`select atttypmod as dims from pg_attribute where attrelid = 'document_embeddings'::regclass and attname = 'embedding'`,
  )) as unknown as { dims: number }[] | { rows: { dims: number }[] };
  const list = Array.isArray(rows) ? rows : rows.rows;
  return list[0]?.dims ?? null;
}
