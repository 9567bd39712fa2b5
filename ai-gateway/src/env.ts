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

export const EnvSchema = z.object({
  HOST: z.string().default("127.0.0.1"),
  PORT: z.coerce.number().int().min(0).max(65535).default(8090),
  /** When set, every /v1 call must carry `Authorization: Bearer <it>`. */
  AI_GATEWAY_TOKEN: z.string().min(1).optional(),
  /** Empty → the built-in provider alone (the embedded default). */
  LMSTUDIO_NODES: nodesJson,
  REDIS_URL: z.string().url().optional(), // absent → slots, cache and quotas in process memory
  EMBEDDING_DIMS: z.coerce.number().int().positive().max(2000).default(768),
  AI_QUEUE_MAX: z.coerce.number().int().positive().default(1000),
  AI_DEADLINE_MS: z.coerce.number().int().positive().default(120_000),
  AI_CACHE_TTL_S: z.coerce.number().int().nonnegative().default(3600), // 0 = no response cache
  AI_CACHE_MEMORY_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(64 * 1024 * 1024),
  AI_DAILY_TOKEN_QUOTA: z.coerce.number().int().nonnegative().default(0), // 0 = no quota
  AI_RETRY_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(3),
  AI_RETRY_BASE_MS: z.coerce.number().int().nonnegative().default(50),
  AI_HEALTH_INTERVAL_MS: z.coerce.number().int().positive().default(5_000),
  AI_SLOT_LEASE_MS: z.coerce.number().int().min(1000).default(15_000),
  MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(4 * 1024 * 1024),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  SHUTDOWN_GRACE_MS: z.coerce.number().int().nonnegative().default(10_000),
  /** Set by core when it starts this gateway as its child: the gateway stops once that process is gone. */
  PARENT_PID: z.coerce.number().int().positive().optional(),
});

export type Env = z.infer<typeof EnvSchema>;

export const parseEnv = (source: EnvSource): Env => parseEnvWith(EnvSchema, source);

/** Reads the environment once at start-up; a wrong variable names itself and exits. */
export const loadEnv = (source: EnvSource = process.env): Env => loadEnvOrExit(parseEnv, source);
