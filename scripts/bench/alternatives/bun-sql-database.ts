import { type Database, type Drizzle, RecentWriters, schema } from "@tcc/db";
import { SQL } from "bun";
import { drizzle } from "drizzle-orm/bun-sql";

/**
 * For `npm run bench:alternatives` only: core's Database on Bun's built-in PostgreSQL client
 * (Bun.sql, through drizzle-orm/bun-sql) instead of postgres.js, with the same routing (reads
 * round-robin over the replicas, a user who just wrote reads the primary). No health checks or
 * fallback: the replicas are assumed up for the length of a benchmark.
 */
export function createBunSqlDatabase(o: {
  url: string;
  replicaUrls: string[];
  poolMax: number;
  replicaPoolMax: number;
  readYourWritesMs: number;
}): Database {
  const open = (url: string, max: number) => new SQL({ url, max });
  const primarySql = open(o.url, o.poolMax);
  const primary = drizzle({ client: primarySql, schema }) as unknown as Drizzle;
  const replicaSqls = o.replicaUrls.map((url) => open(url, o.replicaPoolMax));
  const replicas = replicaSqls.map((client) => drizzle({ client, schema }) as unknown as Drizzle);
  const writers = new RecentWriters(o.readYourWritesMs);
  const routing = { primary: 0, replica: 0 };
  let next = 0;
  return {
    driver: "postgres",
    primary,
    read(userId) {
      if ((userId && writers.isRecent(userId)) || replicas.length === 0) {
        routing.primary++;
        return primary;
      }
      routing.replica++;
      next = (next + 1) % replicas.length;
      return replicas[next] as Drizzle;
    },
    markWrite: (userId) => writers.mark(userId),
    async ping() {
      await primarySql`select 1`;
      return true;
    },
    replicas: () => o.replicaUrls.map(() => ({ url: "(bun-sql)", healthy: true, lagSeconds: 0 })),
    routing,
    inFlight: () => ({ primary: 0, replica: 0 }),
    async close() {
      await Promise.all([primarySql.close(), ...replicaSqls.map((s) => s.close())]);
    },
  };
}
