export { embeddingDims, ensureEmbeddingDims, migrate, migrationsFolder } from "./migrate";

import type { Database } from "./types";

/**
 * The embedded database (PGlite, Postgres compiled to WebAssembly). Its driver is loaded only
 * when it is opened: it adds ~11 MB to a process on PostgreSQL that would never use it.
 */
export async function createPgliteDatabase(dataDir: string | undefined): Promise<Database> {
  return (await import("./pglite-client")).createPgliteDatabase(dataDir);
}
export { createPostgresDatabase, type PostgresOptions } from "./postgres-client";
export { databaseUnavailable } from "./replica-fallback";
export { rowsOf } from "./rows";
export * as schema from "./schema";
export { RecentWriters } from "./sticky";
export type { Database, Drizzle, ReplicaStatus, Tx } from "./types";
