import type Redis from "ioredis";
import type { ResponseCache } from "./cache/response-cache";
import type { Env } from "./env";
import type { Logger } from "./lib/logger";
import type { Metrics } from "./lib/metrics";
import type { RequestLog } from "./lib/request-log";
import type { NodePool } from "./nodes/pool";
import type { TokenAccounting } from "./quota";
import type { Scheduler } from "./sched/scheduler";
import type { SlotBackend } from "./sched/slots";

/** Everything a request handler may use; tests build the same object over real Redis. */
export interface Services {
  env: Env;
  logger: Logger;
  /** The one line per request (batched); everything else goes through `logger`. */
  requestLog: RequestLog;
  metrics: Metrics;
  pool: NodePool;
  slots: SlotBackend;
  scheduler: Scheduler;
  cache: ResponseCache;
  accounting: TokenAccounting;
  /** Absent in the embedded default. */
  redis?: Redis;
}
