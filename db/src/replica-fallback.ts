import type postgres from "postgres";

/**
 * Errors that say "the database cannot answer now" rather than "this query is wrong": the
 * connection is gone or refused (a crash, a restart, a failover, a network cut), the server is
 * shutting down or starting (57P01-57P03), or a connection exception (class 08). Drizzle wraps
 * driver errors, so the cause is looked at too. Found by the replica-stop and promotion drills.
 */
export function databaseUnavailable(err: unknown): boolean {
  const code = String((err as { code?: unknown })?.code ?? "");
  if (/^(CONNECTION_(CLOSED|ENDED|DESTROYED)|CONNECT_TIMEOUT|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH)$/.test(code))
    return true;
  if (/^08/.test(code) || /^57P0[123]$/.test(code)) return true;
  const cause = (err as { cause?: unknown })?.cause;
  return cause !== undefined && cause !== err && databaseUnavailable(cause);
}

/** On a hot standby a query can also be cancelled by a conflict with WAL replay (40001): worth another try elsewhere. */
const replicaUnavailable = (err: unknown) => databaseUnavailable(err) || String((err as { code?: unknown })?.code ?? "") === "40001";

/**
 * A client for drizzle over a replica pool that answers from the primary when the replica is
 * unavailable, and reports it at once, so a replica that dies mid-load costs its readers
 * nothing: without this, every read routed to it failed (a 500) until the next health check
 * took it out of rotation. Only reads ever run on a replica (a hot standby refuses writes), so
 * running one again is safe; a transaction on a replica is read-only for the same reason and
 * is run again whole. The pool itself is left as it is (postgres.js's own `begin` runs
 * `unsafe` on it, and health checks must reach the replica): everything but `unsafe` and
 * `begin` is the replica's, through the prototype.
 */
export function fallBackToPrimary(replica: postgres.Sql, primary: postgres.Sql, markDown: () => void): postgres.Sql {
  const client = Object.create(replica) as postgres.Sql;
  client.unsafe = ((query: string, params?: never, options?: never) => {
    // postgres.js queries are lazy (sent when awaited) and drizzle awaits either the query
    // itself or its .values(); keep both shapes and pick the target only then.
    const run = (values: boolean) => {
      const attempt = replica.unsafe(query, params, options);
      return (values ? attempt.values() : attempt).catch((err: unknown) => {
        if (!replicaUnavailable(err)) throw err;
        markDown();
        const again = primary.unsafe(query, params, options);
        return values ? again.values() : again;
      });
    };
    return {
      values: () => run(true),
      // biome-ignore lint/suspicious/noThenProperty: a lazy query is a thenable, as postgres.js's own are
      then: (ok?: (v: unknown) => unknown, fail?: (e: unknown) => unknown) => run(false).then(ok, fail),
    };
  }) as unknown as typeof replica.unsafe;
  client.begin = ((...args: unknown[]) =>
    (replica.begin as (...a: unknown[]) => Promise<unknown>)(...args).catch((err: unknown) => {
      if (!replicaUnavailable(err)) throw err;
      markDown();
      return (primary.begin as (...a: unknown[]) => Promise<unknown>)(...args);
    })) as typeof replica.begin;
  return client;
}
