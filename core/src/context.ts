import type { Database, Tx } from "@tcc/db";
import type { AiClient } from "./ai/client";
import type { AccessTokens } from "./auth/tokens";
import type { Env } from "./env";
import type { JobQueue } from "./jobs";
import type { RequestGate } from "./lib/gate";
import type { KV } from "./lib/kv";
import type { Logger } from "./lib/logger";
import type { Metrics } from "./lib/metrics";
import type { RateLimiter } from "./lib/rate-limit";
import type { CacheStamp, ReadCache } from "./lib/read-cache";
import type { RequestLoad } from "./lib/request-rate";
import type { ObjectStorage } from "./storage";

/** Everything a request handler may touch, built once by main.ts (or by a test harness). */
export interface Services {
  env: Env;
  db: Database;
  /** Redis, or process memory in the embedded default. */
  kv: KV;
  /**
   * Security state: the logout denylist, login lockouts and failure counters. The same Redis as
   * `kv`; in the embedded default a store of its own that never evicts a key before it expires
   * (the cache's store evicts its oldest keys, and anyone can fill it).
   */
  security: KV;
  cache: ReadCache;
  limiter: RateLimiter;
  /** One round trip per authenticated request: limits, revocation, recent writes. */
  gate: RequestGate;
  tokens: AccessTokens;
  /** File bytes: local disk in the embedded default, or S3-compatible. */
  storage: ObjectStorage;
  /** Embeddings and chat through the AI gateway. */
  ai: AiClient;
  /** Background jobs: BullMQ on Redis, or in process in the embedded default. */
  jobs: JobQueue;
  /** HMAC key for signed, expiring file download URLs. */
  fileUrlSecret: string;
  logger: Logger;
  /** The one line per request: unredacted fixed fields, written in batches (lib/logger.ts). */
  requestLog: Logger;
  metrics: Metrics;
  /** Requests this process serves, and whether any process is busy: background jobs yield to them (yieldToRequests). */
  requestLoad: RequestLoad;
  clock: () => Date;
}

/** An open transaction on the primary, as service functions see it (`ctx.tx`; see db/transaction.ts). */
export interface Transaction {
  /** Drizzle's handle: statements on it are part of the transaction. */
  readonly db: Tx;
  /**
   * Runs `hook` once the outermost transaction has committed, never after a rollback; hooks run
   * in the order they were added. With `once`, a second hook under the same key is dropped.
   */
  afterCommit(hook: () => Promise<unknown> | undefined, once?: string): void;
}

/**
 * What a service function knows about a call that no signed-in user makes: sign-up and log-in,
 * signed links and shared galleries, background jobs.
 */
export interface SystemCtx {
  s: Services;
  /** Aborted when the caller goes away: model calls made on its behalf (query embeddings) stop. */
  signal?: AbortSignal;
  /** The transaction this call runs in, if any: withTransaction joins it. */
  tx?: Transaction;
}

/** What a service function knows about a call on behalf of a user: everything it touches is theirs. */
export interface Ctx extends SystemCtx {
  userId: string;
  /** The user's read-cache versions as the request gate read them (ReadCache uses them for a moment). */
  cacheStamp?: CacheStamp | null;
}

/**
 * The one argument of every service function: who is calling (`ctx`) and with what (`input`),
 * as the AI gateway's services take it too. Functions with nothing to be told take `{ ctx }`.
 */
export type Call<I = undefined, C extends SystemCtx = Ctx> = { ctx: C } & (undefined extends I ? { input?: I } : { input: I });
