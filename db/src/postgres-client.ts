import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { fallBackToPrimary } from "./replica-fallback";
import * as schema from "./schema";
import { RecentWriters } from "./sticky";
import type { Database, Drizzle, ReplicaStatus } from "./types";

export interface PostgresOptions {
  url: string;
  replicaUrls: string[];
  poolMax: number;
  replicaPoolMax: number;
  idleTimeoutSeconds: number;
  connectTimeoutSeconds: number;
  statementTimeoutMs: number;
  /** How long after a write a user's reads stay on the primary. */
  readYourWritesMs: number;
  /** A replica further behind than this is treated as unhealthy. */
  maxReplicaLagSeconds: number;
  healthIntervalMs: number;
}

interface Replica {
  url: string;
  sql: postgres.Sql;
  busy: { n: number };
  db: Drizzle;
  healthy: boolean;
  lagSeconds: number | null;
}

function pool(url: string, max: number, o: PostgresOptions): { sql: postgres.Sql; busy: { n: number } } {
  const sql = postgres(url, {
    max,
    idle_timeout: o.idleTimeoutSeconds,
    connect_timeout: o.connectTimeoutSeconds,
    onnotice: () => {},
    connection: { statement_timeout: o.statementTimeoutMs, application_name: "tcc-core" },
  });
  // Drizzle runs every query it did not name unprepared, so Postgres parses and plans it and
  // the driver re-reads its row description each time. Our query texts are a small, stable
  // set (values are always $n parameters), so prepare them all, as postgres.js does itself
  // for tagged templates; each connection keeps its prepared statements.
  const busy = { n: 0 };
  const unsafe = sql.unsafe.bind(sql);
  sql.unsafe = ((query: string, params?: unknown[], options?: { prepare?: boolean }) =>
    track(unsafe(query, params as never, { ...options, prepare: true }), busy)) as typeof sql.unsafe;
  // A transaction holds a connection from BEGIN to COMMIT; its own queries run on that one.
  const begin = sql.begin.bind(sql) as (...args: unknown[]) => Promise<unknown>;
  sql.begin = ((...args: unknown[]) => {
    busy.n++;
    return begin(...args).finally(() => busy.n--);
  }) as typeof sql.begin;
  return { sql, busy };
}

/**
 * Counts a postgres.js query as in flight from when it is awaited (queries are lazy) until it
 * settles: the pool-saturation signal postgres.js does not expose itself.
 */
function track<Q extends PromiseLike<unknown>>(query: Q, busy: { n: number }): Q {
  const then = query.then.bind(query);
  // biome-ignore lint/suspicious/noThenProperty: postgres.js queries start on then(); wrapping it is the only hook
  (query as { then: unknown }).then = (ok?: (v: unknown) => unknown, fail?: (e: unknown) => unknown) => {
    busy.n++;
    let settled = false;
    const settle = () => {
      if (!settled) {
        settled = true;
        busy.n--;
      }
    };
    return then(
      (v) => {
        settle();
        return ok ? ok(v) : v;
      },
      (e) => {
        settle();
        if (fail) return fail(e);
        throw e;
      },
    );
  };
  return query;
}

export function createPostgresDatabase(o: PostgresOptions): Database {
  const { sql: primarySql, busy: primaryBusy } = pool(o.url, o.poolMax, o);
  const primary = drizzle({ client: primarySql, schema }) as unknown as Drizzle;
  const replicas: Replica[] = o.replicaUrls.map((url) => {
    const { sql, busy } = pool(url, o.replicaPoolMax, o);
    // Replicas start unhealthy and are admitted by the first health check.
    const r: Replica = { url, sql, busy, db: undefined as unknown as Drizzle, healthy: false, lagSeconds: null };
    // A replica that stops answering mid-query sends that read to the primary and leaves
    // rotation now, not at the next health check; the check brings it back.
    const client = fallBackToPrimary(sql, primarySql, () => {
      r.healthy = false;
      r.lagSeconds = null;
    });
    r.db = drizzle({ client, schema }) as unknown as Drizzle;
    return r;
  });
  const writers = new RecentWriters(o.readYourWritesMs);
  const routing = { primary: 0, replica: 0 };
  let next = 0;

  async function check(r: Replica) {
    try {
      // Lag is zero when the replica has replayed everything it received, whatever the clock says.
      const [row] = await r.sql<{ lag: number | null }[]>`
        select case when pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() then 0
          else extract(epoch from now() - pg_last_xact_replay_timestamp())::float8 end as lag`;
      r.lagSeconds = row?.lag ?? 0;
      r.healthy = r.lagSeconds <= o.maxReplicaLagSeconds;
    } catch {
      r.healthy = false;
      r.lagSeconds = null;
    }
  }
  const checkAll = () => Promise.all(replicas.map(check));
  const timer = replicas.length ? setInterval(checkAll, o.healthIntervalMs) : undefined;
  timer?.unref?.();
  const ready = checkAll();

  return {
    driver: "postgres",
    primary,
    read(userId) {
      if (userId && writers.isRecent(userId)) {
        routing.primary++;
        return primary;
      }
      for (let i = 0; i < replicas.length; i++) {
        const r = replicas[(next + i) % replicas.length] as Replica;
        if (r.healthy) {
          next = (next + i + 1) % replicas.length;
          routing.replica++;
          return r.db;
        }
      }
      routing.primary++;
      return primary;
    },
    markWrite: (userId) => writers.mark(userId),
    async ping() {
      await ready;
      try {
        await primarySql`select 1`;
        return true;
      } catch {
        return false;
      }
    },
    replicas: (): ReplicaStatus[] => replicas.map(({ url, healthy, lagSeconds }) => ({ url: redact(url), healthy, lagSeconds })),
    routing,
    inFlight: () => ({ primary: primaryBusy.n, replica: replicas.reduce((sum, r) => sum + r.busy.n, 0) }),
    async close() {
      if (timer) clearInterval(timer);
      await Promise.all([primarySql.end({ timeout: 5 }), ...replicas.map((r) => r.sql.end({ timeout: 5 }))]);
    },
  };
}

/** Replica URLs appear in /readyz; never show their passwords. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "invalid-url";
  }
}
