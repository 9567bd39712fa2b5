import { fileURLToPath } from "node:url";
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import { rowsOf } from "./rows";
import type { Database } from "./types";

export const migrationsFolder = fileURLToPath(new URL("../migrations", import.meta.url));

// Arbitrary constant: every core replica starting at once serialises on this advisory lock.
const MIGRATION_LOCK = 7_310_421_001;

/** Applies pending migrations; applying again is a no-op. */
export async function migrate(db: Database, databaseUrl?: string): Promise<void> {
  if (db.driver === "pglite") {
    // Loaded here, not at the top: a process on PostgreSQL never loads PGlite's driver (see index.ts).
    const { migrate: migratePglite } = await import("drizzle-orm/pglite/migrator");
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
  const rows = rowsOf<{ dims: number }>(
    await db.primary.execute(
      sql`select atttypmod as dims from pg_attribute where attrelid = 'document_embeddings'::regclass and attname = 'embedding'`,
    ),
  );
  return rows[0]?.dims ?? null;
}

/**
 * Makes `document_embeddings.embedding` hold EMBEDDING_DIMS-dimension vectors. The migration
 * creates it with DEFAULT_EMBEDDING_DIMS; an empty table is altered in place (its HNSW index is
 * rebuilt with it), while stored vectors of another size stop start-up: mixing sizes would
 * break semantic search, and they must be re-embedded with the new model first.
 */
export async function ensureEmbeddingDims(db: Database, dims: number): Promise<void> {
  const current = await embeddingDims(db);
  if (current === null || current === dims) return;
  const present = rowsOf<{ present: boolean }>(
    await db.primary.execute(sql`select exists (select 1 from document_embeddings) as present`),
  )[0]?.present;
  if (present) {
    throw new Error(
      `document_embeddings holds ${current}-dimension vectors but EMBEDDING_DIMS is ${dims}: keep EMBEDDING_DIMS=${current}, or re-embed (delete the stored embeddings, then start with the new size)`,
    );
  }
  await db.primary.execute(sql.raw(`alter table document_embeddings alter column embedding type vector(${Math.trunc(dims)})`));
}
