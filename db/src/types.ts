import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import type * as schema from "./schema";

/** A Drizzle handle over our schema, whatever the driver (postgres.js or PGlite). */
export type Drizzle = PgDatabase<PgQueryResultHKT, typeof schema>;

/**
 * An open transaction: only `transaction(fn)` hands one to `fn`, so a function that takes a Tx
 * cannot be called outside one. A function that works either way takes a Drizzle (a Tx is one).
 */
export type Tx = Parameters<Parameters<Drizzle["transaction"]>[0]>[0];

export interface ReplicaStatus {
  url: string;
  healthy: boolean;
  lagSeconds: number | null;
}

export interface Database {
  readonly driver: "postgres" | "pglite";
  /** Writes, transactions, and reads that must see the latest state. */
  readonly primary: Drizzle;
  /**
   * A handle for reads. Round-robins over healthy replicas; returns the primary when none is
   * healthy or when `userId` wrote recently, so a user always sees their own writes.
   */
  read(userId?: string): Drizzle;
  /** Record that `userId` just wrote; their reads stick to the primary for a short window. */
  markWrite(userId: string): void;
  ping(): Promise<boolean>;
  replicas(): ReplicaStatus[];
  /** Counts of reads routed to the primary and to replicas since start, for metrics. */
  readonly routing: { primary: number; replica: number };
  /** Queries and transactions currently holding a connection, per pool kind. */
  inFlight(): { primary: number; replica: number };
  close(): Promise<void>;
}
