export { embeddingDims, ensureEmbeddingDims, migrate, migrationsFolder } from "./migrate";
export { createPgliteDatabase } from "./pglite-client";
export { createPostgresDatabase, type PostgresOptions } from "./postgres-client";
export { databaseUnavailable } from "./replica-fallback";
export { rowsOf } from "./rows";
export * as schema from "./schema";
export { RecentWriters } from "./sticky";
export type { Database, Drizzle, ReplicaStatus, Tx } from "./types";
