import type { Database } from "@tcc/db";
import type { AiClient } from "./ai/client";
import type { AccessTokens } from "./auth/tokens";
import type { Env } from "./env";
import type { JobQueue } from "./jobs";
import type { RequestGate } from "./lib/gate";
import type { KV } from "./lib/kv";
import type { Logger } from "./lib/logger";
import type { Metrics } from "./lib/metrics";
import type { RateLimiter } from "./lib/rate-limit";
import type { ReadCache } from "./lib/read-cache";
import type { ObjectStorage } from "./storage";

/** Everything a request handler may touch, built once by main.ts (or by a test harness). */
export interface Services {
  env: Env;
  db: Database;
  /** Redis, or process memory in the embedded default. */
  kv: KV;
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
  metrics: Metrics;
  clock: () => Date;
}

/** What a service function knows about its caller. */
export interface Ctx {
  userId: string;
  s: Services;
  /** Aborted when the caller goes away: model calls made on its behalf (query embeddings) stop. */
  signal?: AbortSignal;
}
