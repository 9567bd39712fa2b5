import { type EnvSource, loadEnvOrExit, parseEnvWith } from "@tcc/shared/runtime";
import { z } from "zod";

/** One LM Studio node as configured; `models` absent → discovered from the node's /v1/models. */
const NodeConfig = z.object({
  url: z.string().url(),
  maxConcurrent: z.number().int().positive().default(4),
  models: z.array(z.string().min(1)).optional(),
});
export type NodeConfig = z.infer<typeof NodeConfig>;

const nodesJson = z
  .string()
  .optional()
  .transform((v, ctx) => {
    if (!v) return [];
    try {
      return JSON.parse(v) as unknown;
    } catch {
      ctx.addIssue({ code: "custom", message: 'must be a JSON array like [{"url":"http://gpu1:1234","maxConcurrent":4}]' });
      return z.NEVER;
    }
  })
  .pipe(z.array(NodeConfig));

/** Every variable the gateway reads, each with its meaning (docs/configuration.md is generated from it). */
export const EnvSchema = z.object({
  HOST: z.string().default("127.0.0.1").meta({ description: "listen address (`0.0.0.0` in containers)" }),
  PORT: z.coerce.number().int().min(0).max(65535).default(8090).meta({ description: "listen port (`0` picks a free one)" }),
  AI_GATEWAY_TOKEN: z.string().min(1).optional().meta({
    description: "when set, `/v1/*` needs `Authorization: Bearer <it>` (compared in constant time); core sends it",
    defaultText: "none (no auth)",
  }),
  LMSTUDIO_NODES: nodesJson.meta({
    description: 'JSON array of `{"url","maxConcurrent"?: 4,"models"?: [...]}`',
    defaultText: "none → built-in only",
  }),
  REDIS_URL: z
    .string()
    .url()
    .optional()
    .meta({ description: "slots shared by replicas, response cache, token accounting", defaultText: "unset → in-memory" }),
  EMBEDDING_DIMS: z.coerce
    .number()
    .int()
    .positive()
    .max(2000)
    .default(768)
    .meta({ description: "vector size of the built-in embedding model (match core's)" }),
  AI_QUEUE_MAX: z.coerce
    .number()
    .int()
    .positive()
    .default(1000)
    .meta({ description: "requests waiting for a slot, at most; more get 429" }),
  AI_DEADLINE_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(120_000)
    .meta({ description: "a request's deadline when the caller sends no `x-tcc-deadline-ms`" }),
  AI_CACHE_TTL_S: z.coerce
    .number()
    .int()
    .nonnegative()
    .default(3600)
    .meta({ description: "lifetime of cached answers and embeddings (`0` = no cache)" }),
  AI_CACHE_MEMORY_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(64 * 1024 * 1024)
    .meta({ description: "size of the in-memory cache when there is no Redis" }),
  AI_DAILY_TOKEN_QUOTA: z.coerce
    .number()
    .int()
    .nonnegative()
    .default(0)
    .meta({ description: "tokens per user per UTC day", defaultText: "`0` (none)" }),
  AI_RETRY_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(3).meta({ description: "attempts per request, the first included" }),
  AI_RETRY_BASE_MS: z.coerce.number().int().nonnegative().default(50).meta({ description: "backoff base (full jitter up to base·2ⁿ)" }),
  AI_HEALTH_INTERVAL_MS: z.coerce.number().int().positive().default(5_000).meta({ description: "node probe interval" }),
  AI_SLOT_LEASE_MS: z.coerce
    .number()
    .int()
    .min(1000)
    .default(15_000)
    .meta({ description: "lease of a Redis slot (renewed every third of it while its request runs)" }),
  MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(4 * 1024 * 1024)
    .meta({ description: "request body limit (413 above)" }),
  LOG_LEVEL: z
    .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"])
    .default("info")
    .meta({ description: "one JSON line per request (request id, path, status, duration, user; never bodies or tokens)" }),
  SHUTDOWN_GRACE_MS: z.coerce
    .number()
    .int()
    .nonnegative()
    .default(10_000)
    .meta({ description: "on SIGTERM: stop accepting, finish in-flight requests up to this long" }),
  PARENT_PID: z.coerce
    .number()
    .int()
    .positive()
    .optional()
    .meta({ description: "set by core when it starts this gateway as its child: the gateway stops once that process is gone" }),
});

export type Env = z.infer<typeof EnvSchema>;

export const parseEnv = (source: EnvSource): Env => parseEnvWith(EnvSchema, source);

/** Reads the environment once at start-up; a wrong variable names itself and exits. */
export const loadEnv = (source: EnvSource = process.env): Env => loadEnvOrExit(parseEnv, source);
