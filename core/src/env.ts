import { BUILTIN_MODELS } from "@tcc/shared/contracts";
import { type EnvSource, loadEnvOrExit, parseEnvWith } from "@tcc/shared/runtime";
import { z } from "zod";

const csv = (v: string | undefined) =>
  (v ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);

const bool = z
  .enum(["true", "false", "1", "0"])
  .optional()
  .transform((v) => v === "true" || v === "1");

export const EnvSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  HOST: z.string().default("127.0.0.1"),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  /** Public origin used in the printed URL and JWT issuer. */
  PUBLIC_URL: z.string().url().optional(),
  DATA_DIR: z.string().default("./data"),

  DATABASE_URL: z.string().url().optional(), // absent → embedded PGlite under DATA_DIR/pg
  DATABASE_REPLICA_URLS: z.string().optional().transform(csv),
  DB_POOL_MAX: z.coerce.number().int().positive().default(20),
  DB_REPLICA_POOL_MAX: z.coerce.number().int().positive().default(20),
  DB_IDLE_TIMEOUT_S: z.coerce.number().int().nonnegative().default(30),
  DB_CONNECT_TIMEOUT_S: z.coerce.number().int().positive().default(10),
  DB_STATEMENT_TIMEOUT_MS: z.coerce.number().int().nonnegative().default(15_000),
  DB_READ_YOUR_WRITES_MS: z.coerce.number().int().nonnegative().default(5_000),
  DB_MAX_REPLICA_LAG_S: z.coerce.number().nonnegative().default(5),
  DB_REPLICA_HEALTH_INTERVAL_MS: z.coerce.number().int().positive().default(2_000),
  // pgvector's HNSW index takes at most 2000 dimensions.
  /** Absent → core starts the gateway's built-in provider as a child process (embedded default). */
  AI_GATEWAY_URL: z.string().url().optional(),
  AI_GATEWAY_TOKEN: z.string().min(1).optional(),
  AI_CHAT_MODEL: z.string().min(1).default(BUILTIN_MODELS.chat),
  AI_EMBEDDING_MODEL: z.string().min(1).default(BUILTIN_MODELS.embedding),
  AI_TIMEOUT_MS: z.coerce.number().int().positive().default(120_000),
  /** Chat: entries retrieved for each question and put before the model. */
  CHAT_CONTEXT_ENTRIES: z.coerce.number().int().min(0).max(20).default(5),
  /** Chat: earlier messages of the conversation sent back to the model. */
  CHAT_HISTORY_MESSAGES: z.coerce.number().int().min(0).max(200).default(20),
  /** query_log (the chat's SQL tool): statement timeout and rows shown to the model. */
  QUERY_LOG_TIMEOUT_MS: z.coerce.number().int().positive().max(60_000).default(2_000),
  QUERY_LOG_MAX_ROWS: z.coerce.number().int().positive().max(1_000).default(100),
  EMBEDDING_DIMS: z.coerce.number().int().positive().max(2000).default(768),

  REDIS_URL: z.string().url().optional(), // absent → in-memory cache, limits and denylist

  JWT_ISSUER: z.string().default("tcc-log"),
  JWT_AUDIENCE: z.string().default("tcc-log-api"),
  /** Ed25519 private key as a PKCS#8 PEM or a JWK (JSON). Absent → generated once under DATA_DIR. */
  JWT_PRIVATE_KEY: z.string().optional(),
  JWT_KEY_ID: z.string().optional(),
  /** Extra public JWKs (JSON array) still accepted during a key rotation. */
  JWT_PREVIOUS_PUBLIC_KEYS: z.string().optional(),
  ACCESS_TOKEN_TTL_S: z.coerce.number().int().positive().default(900),
  REFRESH_TOKEN_TTL_S: z.coerce
    .number()
    .int()
    .positive()
    .default(30 * 24 * 3600),

  RATE_LIMIT_USER_PER_MIN: z.coerce.number().int().positive().default(600),
  RATE_LIMIT_IP_PER_MIN: z.coerce.number().int().positive().default(1200),
  RATE_LIMIT_AUTH_PER_MIN: z.coerce.number().int().positive().default(20),
  LOGIN_MAX_FAILURES: z.coerce.number().int().positive().default(5),
  LOGIN_LOCKOUT_S: z.coerce.number().int().positive().default(900),
  /** Trust X-Forwarded-For / CF-Connecting-IP for the client IP (only behind a proxy you run). */
  TRUST_PROXY: bool,

  CORS_ORIGINS: z.string().optional().transform(csv),
  MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(2 * 1024 * 1024),
  STORAGE_DRIVER: z.enum(["local", "s3"]).default("local"),
  FILES_DIR: z.string().optional(), // absent → DATA_DIR/files
  S3_ENDPOINT: z.string().url().optional(),
  S3_BUCKET: z.string().optional(),
  S3_REGION: z.string().optional(),
  S3_ACCESS_KEY_ID: z.string().optional(),
  S3_SECRET_ACCESS_KEY: z.string().optional(),
  /** false (path style) for MinIO and s3rver; unset or true for AWS and R2. */
  S3_VIRTUAL_HOSTED_STYLE: z.enum(["true", "false", "1", "0"]).optional(),
  MAX_FILE_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(50 * 1024 * 1024),
  USER_QUOTA_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(5 * 1024 * 1024 * 1024),
  /** Images with more pixels than this get no derivatives (decoding them would take too much memory). */
  IMAGE_MAX_PIXELS: z.coerce.number().int().positive().default(50_000_000),
  /** Image derivative jobs run at once per process (each decodes one image; libvips threads inside). */
  IMAGE_JOB_CONCURRENCY: z.coerce.number().int().positive().default(1),
  /** HMAC key for signed download URLs. Absent → generated once under DATA_DIR/keys. */
  FILE_URL_SECRET: z.string().min(32).optional(),
  CACHE_TTL_S: z.coerce.number().int().positive().default(300),
  /** "off" serves every read from the database (for diagnosis and the uncached benchmark). */
  READ_CACHE: z.enum(["on", "off"]).default("on"),
  // off → this process only enqueues (e.g. API pods when workers run as their own deployment)
  JOB_WORKERS: z.enum(["on", "off"]).default("on"),
  /** Entries with missing or stale embeddings queued at each start (0: no sweep). */
  EMBEDDING_SWEEP_MAX: z.coerce.number().int().nonnegative().default(1000),
  /** Embedding jobs one process runs at once; the gateway queues and schedules beyond that. */
  EMBEDDING_CONCURRENCY: z.coerce.number().int().positive().default(2),
  /**
   * Vector matches less similar than this (cosine) are not results: nearest is not the same as
   * related. 0.05 suits the built-in embedder, where unrelated texts score about 0; a real model
   * scores unrelated text higher (0.2-0.5), so raise it with one.
   */
  SEARCH_MIN_SIMILARITY: z.coerce.number().min(-1).max(1).default(0.05),
  /** Redis key prefix of the BullMQ queues; deployments (or test runs) sharing one Redis each take their own. */
  JOB_QUEUE_PREFIX: z.string().min(1).default("tcc:jobs"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  SHUTDOWN_GRACE_MS: z.coerce.number().int().nonnegative().default(10_000),
});

/** Settings that only make sense together. */
const CheckedEnv = EnvSchema.superRefine((e, ctx) => {
  if (e.STORAGE_DRIVER !== "s3") return;
  for (const key of ["S3_BUCKET", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY"] as const) {
    if (!e[key]) ctx.addIssue({ code: "custom", path: [key], message: "required when STORAGE_DRIVER=s3" });
  }
});

export type Env = z.infer<typeof EnvSchema>;

export const parseEnv = (source: EnvSource): Env => parseEnvWith(CheckedEnv, source);

/** Reads the environment once at start-up; a wrong variable names itself and exits. */
export const loadEnv = (source: EnvSource = process.env): Env => loadEnvOrExit(parseEnv, source);
