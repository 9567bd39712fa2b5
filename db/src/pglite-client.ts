import { mkdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite-pgvector";
import { drizzle } from "drizzle-orm/pglite";
import * as schema from "./schema";
import type { Database, Drizzle } from "./types";

/**
 * The embedded default: Postgres compiled to WASM, in-process, data under `dataDir`.
 * One process owns the directory; close() must run on shutdown or the next open may hang.
 */
export async function createPgliteDatabase(dataDir: string | undefined): Promise<Database> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const client = await PGlite.create({ dataDir, extensions: { vector } });
  await client.exec("CREATE EXTENSION IF NOT EXISTS vector");
  const db = drizzle({ client, schema }) as unknown as Drizzle;
  const routing = { primary: 0, replica: 0 };
  let closed = false;
  return {
    driver: "pglite",
    primary: db,
    read() {
      routing.primary++;
      return db;
    },
    markWrite() {},
    async ping() {
      try {
        await client.query("select 1");
        return true;
      } catch {
        return false;
      }
    },
    replicas: () => [],
    routing,
    // One in-process connection; nothing to saturate.
    inFlight: () => ({ primary: 0, replica: 0 }),
    async close() {
      if (closed) return;
      closed = true;
      await client.close();
    },
  };
}
