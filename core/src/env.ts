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

/**
 * Every variable core reads. Each one says what it means (.meta): docs/configuration.md is
 * generated from this schema (npm run docs:config), defaults included.
 */
const OidcProviders = z
  .array(
    z
      .object({
        id: z.string().regex(/^[a-z0-9-]{1,32}$/, "lowercase letters, digits and dashes"),
        name: z.string().min(1).max(64).optional(),
        issuer: z.string().url(),
        clientId: z.string().min(1),
        clientSecret: z.string().min(1),
        redirectUri: z.string().url().optional(),
        scopes: z.string().default("openid email profile"),
        allowHttp: z.boolean().default(false),
      })
      .strict(),
  )
  .refine((list) => new Set(list.map((p) => p.id)).size === list.length, "provider ids must be unique");
export type OidcProviderConfig = z.infer<typeof OidcProviders>[number];

export const EnvSchema = z.object({
  NODE_ENV: z
    .enum(["development", "production", "test"])
    .default("development")
    .meta({ description: "`development`, `production` or `test`" }),
  HOST: z.string().default("127.0.0.1").meta({ description: "listen address (`0.0.0.0` in containers)" }),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080).meta({ description: "listen port (`0` picks a free one)" }),
  PUBLIC_URL: z.string().url().optional().meta({
    description: "the public origin: the URL printed at start-up, and the base of signed file URLs (relative when unset)",
    defaultText: "`http://HOST:PORT`",
  }),
  DATA_DIR: z
    .string()
    .default("./data")
    .meta({ description: "embedded database (`pg/`), generated keys (`keys/`) and, with the `local` driver, files (`files/`)" }),
  DATABASE_URL: z
    .string()
    .url()
    .optional()
    .meta({ description: "PostgreSQL primary (needs the `vector` extension available)", defaultText: "unset → embedded PGlite" }),
  DATABASE_REPLICA_URLS: z.string().optional().transform(csv).meta({ description: "comma-separated read replicas", defaultText: "none" }),
  // Small on purpose: with more queries in flight than connections, postgres.js pipelines them on
  // each connection, so a backend wakes once for several statements. On the 2-core bench box a pool
  // of 4 instead of 20 halved PostgreSQL's and cut core's CPU per entry create (docs/benchmarks.md).
  DB_POOL_MAX: z.coerce
    .number()
    .int()
    .positive()
    .default(4)
    .meta({ description: "connections in the primary's pool; keep the sum over all core processes near twice the primary's cores" }),
  DB_REPLICA_POOL_MAX: z.coerce.number().int().positive().default(20).meta({ description: "connections in each replica's pool" }),
  DB_IDLE_TIMEOUT_S: z.coerce.number().int().nonnegative().default(30).meta({ description: "close idle connections after" }),
  DB_CONNECT_TIMEOUT_S: z.coerce.number().int().positive().default(10).meta({ description: "connection timeout" }),
  DB_STATEMENT_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .nonnegative()
    .default(15_000)
    .meta({ description: "server-side statement timeout (`0` = none)" }),
  DB_READ_YOUR_WRITES_MS: z.coerce
    .number()
    .int()
    .nonnegative()
    .default(5_000)
    .meta({ description: "how long a writer's reads stay on the primary" }),
  DB_MAX_REPLICA_LAG_S: z.coerce.number().nonnegative().default(5).meta({ description: "a replica further behind is skipped" }),
  DB_REPLICA_HEALTH_INTERVAL_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(2_000)
    .meta({ description: "replica health and lag check interval" }),
  AI_GATEWAY_URL: z.string().url().optional().meta({
    description: "the AI gateway; unset, core starts `ai-gateway` itself (built-in provider, loopback, random port) and stops it on exit",
    defaultText: "unset → built-in gateway",
  }),
  AI_GATEWAY_TOKEN: z.string().min(1).optional().meta({
    description:
      "bearer token core sends to the gateway (the gateway's `AI_GATEWAY_TOKEN`); unset with the built-in gateway → a random one per start",
    defaultText: "none",
  }),
  AI_CHAT_MODEL: z.string().min(1).default(BUILTIN_MODELS.chat).meta({
    description: "the chat model core asks the gateway for; set it to a model your LM Studio nodes serve (one with tool calling)",
  }),
  AI_EMBEDDING_MODEL: z
    .string()
    .min(1)
    .default(BUILTIN_MODELS.embedding)
    .meta({ description: "the embedding model; changing it makes every entry stale until `npm run embeddings:backfill`" }),
  AI_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(120_000)
    .meta({ description: "how long core waits for the gateway per call, queueing included (sent as `x-tcc-deadline-ms`)" }),
  CHAT_CONTEXT_ENTRIES: z.coerce
    .number()
    .int()
    .min(0)
    .max(20)
    .default(5)
    .meta({ description: "entries retrieved for each chat question and put before the model" }),
  CHAT_HISTORY_MESSAGES: z.coerce
    .number()
    .int()
    .min(0)
    .max(200)
    .default(20)
    .meta({ description: "earlier messages of a conversation sent back to the model" }),
  QUERY_LOG_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .positive()
    .max(60_000)
    .default(2_000)
    .meta({ description: "statement timeout of the chat's `query_log` SQL tool" }),
  QUERY_LOG_MAX_ROWS: z.coerce
    .number()
    .int()
    .positive()
    .max(1_000)
    .default(100)
    .meta({ description: "rows of a `query_log` result shown to the model (the text is also capped at 8,000 characters)" }),
  EMBEDDING_DIMS: z.coerce.number().int().positive().max(2000).default(768).meta({
    description:
      "vector size (≤ 2000) of `document_embeddings`; an empty column is resized at start-up, stored vectors of another size stop start-up",
  }),
  REDIS_URL: z
    .string()
    .url()
    .optional()
    .meta({ description: "Redis for cache, rate limits, denylist, login throttling", defaultText: "unset → in-memory" }),
  JWT_ISSUER: z.string().default("tcc-log").meta({ description: "`iss` of the access tokens core signs, checked on every token" }),
  JWT_AUDIENCE: z.string().default("tcc-log-api").meta({ description: "`aud` of the access tokens core signs, checked on every token" }),
  JWT_PRIVATE_KEY: z.string().optional().meta({
    description: "Ed25519 key, PKCS#8 PEM (`\\n` escapes allowed) or JWK JSON. Every core replica must share it",
    defaultText: "unset → generated under `DATA_DIR/keys`",
  }),
  JWT_KEY_ID: z.string().optional().meta({ description: "`kid` in token headers", defaultText: "JWK thumbprint" }),
  JWT_PREVIOUS_PUBLIC_KEYS: z
    .string()
    .optional()
    .meta({ description: "JSON array of public JWKs still accepted during a key rotation", defaultText: "none" }),
  ACCESS_TOKEN_TTL_S: z.coerce.number().int().positive().default(900).meta({ description: "access token lifetime" }),
  REFRESH_TOKEN_TTL_S: z.coerce
    .number()
    .int()
    .positive()
    .default(30 * 24 * 3600)
    .meta({ description: "refresh token lifetime (30 days)" }),
  RATE_LIMIT_USER_PER_MIN: z.coerce.number().int().positive().default(600).meta({ description: "per signed-in user" }),
  RATE_LIMIT_IP_PER_MIN: z.coerce.number().int().positive().default(1200).meta({ description: "per client address" }),
  GATE_LEASE_MS: z.coerce.number().int().min(0).max(10_000).default(1_000).meta({
    description:
      "how long a core process may spend a lease: several requests of an active user's rate limits charged in Redis at once (`0` = charge each request on its own)",
  }),
  RATE_LIMIT_AUTH_PER_MIN: z.coerce
    .number()
    .int()
    .positive()
    .default(20)
    .meta({ description: "per client address on register/login/refresh" }),
  LOGIN_MAX_FAILURES: z.coerce
    .number()
    .int()
    .positive()
    .default(5)
    .meta({ description: "failed logins after which an account is locked (per account)" }),
  LOGIN_LOCKOUT_S: z.coerce.number().int().positive().default(900).meta({ description: "how long a locked account refuses logins" }),
  MFA_ISSUER: z.string().min(1).max(64).default("TCC Log").meta({ description: "the issuer name authenticator apps show for TOTP codes" }),
  MFA_ENCRYPTION_KEY: z.string().min(32).optional().meta({
    description:
      "key (32+ characters) that encrypts stored TOTP secrets. Every core replica must share it; changing it disables every enrolled authenticator",
    defaultText: "derived from `FILE_URL_SECRET` (or its generated twin)",
  }),
  MFA_MAX_FAILURES: z.coerce
    .number()
    .int()
    .positive()
    .default(5)
    .meta({ description: "wrong TOTP or recovery codes after which a user's MFA checks are locked (per user)" }),
  MFA_LOCKOUT_S: z.coerce.number().int().positive().default(900).meta({ description: "how long locked MFA checks refuse codes" }),
  MFA_CHALLENGE_TTL_S: z.coerce
    .number()
    .int()
    .positive()
    .max(3600)
    .default(300)
    .meta({ description: "how long a sign-in waits for its second factor after the password" }),
  EDGE_TRUST_SECRET: z.string().min(32).optional().meta({
    description:
      "HMAC key (32+ characters) shared with the edge Worker: a request carrying a valid `x-tcc-edge-trust` header is taken as the caller it names without verifying the token again; a forged, stale or replayed one is refused",
    defaultText: "unset → the header is ignored and every token is verified here",
  }),
  EDGE_TRUST_WINDOW_S: z.coerce.number().int().min(1).max(300).default(30).meta({
    description: "how old (or how far ahead of core's clock) an edge trust header may be; its nonce is remembered in Redis that long",
  }),
  REGISTER_MAX_CONFLICTS: z.coerce.number().int().positive().default(5).meta({
    description:
      "sign-ups for an email that already has an account (409) one client address may make per window, then 429: bounds email enumeration",
  }),
  REGISTER_CONFLICT_WINDOW_S: z.coerce
    .number()
    .int()
    .positive()
    .default(3600)
    .meta({ description: "the window of `REGISTER_MAX_CONFLICTS`, from the first conflict" }),
  GALLERY_PASSWORD_MAX_FAILURES: z.coerce.number().int().positive().default(30).meta({
    description:
      "wrong passwords a shared gallery takes per `GALLERY_PASSWORD_WINDOW_S`, from everyone, before it answers 429 (each one is an argon2 check)",
  }),
  GALLERY_PASSWORD_IP_MAX_FAILURES: z.coerce
    .number()
    .int()
    .positive()
    .default(10)
    .meta({ description: "wrong gallery passwords one client address may send per `GALLERY_PASSWORD_WINDOW_S`, over all galleries" }),
  GALLERY_PASSWORD_WINDOW_S: z.coerce
    .number()
    .int()
    .positive()
    .default(900)
    .meta({ description: "the window of both gallery password limits, from the first failure" }),
  METRICS_TOKEN: z.string().min(16).optional().meta({
    description:
      "bearer token `/metrics` requires (`Authorization: Bearer …`; anything else is 404). Unset: `/metrics` is open, except with `NODE_ENV=production`, where it is then 404",
    defaultText: "none",
  }),
  OIDC_PROVIDERS: z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (!raw) return [];
      let value: unknown;
      try {
        value = JSON.parse(raw);
      } catch {
        ctx.addIssue({ code: "custom", message: "must be a JSON array" });
        return z.NEVER;
      }
      const parsed = OidcProviders.safeParse(value);
      if (!parsed.success) {
        ctx.addIssue({ code: "custom", message: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ") });
        return z.NEVER;
      }
      return parsed.data;
    })
    .meta({
      description:
        'OpenID Connect sign-in providers, a JSON array of `{"id","name?","issuer","clientId","clientSecret","redirectUri?","scopes?","allowHttp?"}`: `id` names the provider in URLs, `issuer` is discovered (`/.well-known/openid-configuration`), `redirectUri` defaults to `PUBLIC_URL/v1/auth/oidc/{id}/callback` and must be registered with the provider, `scopes` defaults to `openid email profile`, `allowHttp` (tests and local providers only) permits a plain-HTTP issuer',
      defaultText: "none (OIDC sign-in off)",
    }),
  TRUST_PROXY: bool.meta({
    description: "take the client address from `CF-Connecting-IP` / `X-Forwarded-For` (only behind a proxy you run)",
  }),
  CORS_ORIGINS: z
    .string()
    .optional()
    .transform(csv)
    .meta({ description: "comma-separated allowed origins", defaultText: "none (no CORS)" }),
  MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(2 * 1024 * 1024)
    .meta({ description: "request body limit (entries hold up to 1 MiB of Markdown)" }),
  STORAGE_DRIVER: z
    .enum(["local", "s3"])
    .default("local")
    .meta({ description: "where file bytes live: `local` (a directory) or `s3` (S3, R2, MinIO)" }),
  FILES_DIR: z.string().optional().meta({ description: "the `local` driver's directory", defaultText: "`DATA_DIR/files`" }),
  S3_ENDPOINT: z.string().url().optional().meta({
    description: "endpoint URL for R2, MinIO and other S3-compatible servers",
    defaultText: "AWS (`https://s3.REGION.amazonaws.com`)",
  }),
  S3_BUCKET: z.string().optional().meta({ description: "bucket of the `s3` driver", defaultText: "none (required for `s3`)" }),
  S3_REGION: z.string().optional().meta({ description: "bucket region", defaultText: "`us-east-1`; `auto` with an endpoint" }),
  S3_ACCESS_KEY_ID: z.string().optional().meta({
    description: "S3 credentials; every S3 setting is passed explicitly, Bun's own `S3_*`/`AWS_*` fallbacks are never used",
    defaultText: "none (required for `s3`)",
  }),
  S3_SECRET_ACCESS_KEY: z
    .string()
    .optional()
    .meta({ description: "S3 credentials (secret part)", defaultText: "none (required for `s3`)" }),
  S3_VIRTUAL_HOSTED_STYLE: z.enum(["true", "false", "1", "0"]).optional().meta({
    description: "virtual-hosted bucket URLs (AWS, R2) or path style (MinIO, s3rver)",
    defaultText: "`true` on AWS, else `false`",
  }),
  MAX_FILE_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(50 * 1024 * 1024)
    .meta({ description: "largest file upload (50 MiB); uploads are exempt from `MAX_BODY_BYTES`" }),
  USER_QUOTA_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(5 * 1024 * 1024 * 1024)
    .meta({ description: "per-user total size of files, soft-deleted ones included until purged, and uploads in flight (5 GiB)" }),
  FILE_TRASH_RETENTION_DAYS: z.coerce.number().int().min(0).max(3650).default(30).meta({
    description:
      "days a soft-deleted file stays restorable (uploading it again) before the trash sweep purges it: row, bytes, derivatives, quota; `0` = at the next sweep",
  }),
  STORAGE_SWEEP_INTERVAL_S: z.coerce.number().int().min(1).max(86_400).default(3600).meta({
    description:
      "how often the trash sweep and the sweep of expired upload reservations run (once across all core processes sharing Redis)",
  }),
  ORPHAN_SWEEP_INTERVAL_S: z.coerce
    .number()
    .int()
    .min(0)
    .max(30 * 86_400)
    .default(86_400)
    .meta({
      description:
        "how often stored objects no row refers to (left by a crash between bytes and row) are looked for and removed; each run lists the whole bucket or files directory; `0` = never",
    }),
  ORPHAN_GRACE_S: z.coerce.number().int().min(600).default(86_400).meta({
    description:
      "an object no row refers to is removed only once it is older than this: an upload or image job writes its bytes before the row that names them",
  }),
  IMAGE_MAX_PIXELS: z.coerce.number().int().positive().default(50_000_000).meta({
    description: "images with more pixels get no derivatives (their facts are still recorded); bounds the memory one image job can take",
  }),
  IMAGE_JOB_CONCURRENCY: z.coerce
    .number()
    .int()
    .positive()
    .default(1)
    .meta({ description: "image derivative jobs run at once per process (libvips threads within each)" }),
  FILE_URL_SECRET: z.string().min(32).optional().meta({
    description: "HMAC key (32+ characters) for signed download URLs. Every core replica must share it",
    defaultText: "unset → generated under `DATA_DIR/keys`",
  }),
  CACHE_TTL_S: z.coerce.number().int().positive().default(300).meta({ description: "lifetime of a cached read" }),
  READ_CACHE: z.enum(["on", "off"]).default("on").meta({ description: "`off` serves every read from the database" }),
  JOB_WORKERS: z
    .enum(["on", "off"])
    .default("on")
    .meta({ description: "`off`: this process only enqueues jobs (API pods, when workers run as their own deployment)" }),
  EMBEDDING_SWEEP_MAX: z.coerce
    .number()
    .int()
    .nonnegative()
    .default(1000)
    .meta({ description: "entries with missing or stale vectors queued at each start, newest first (`0` = no sweep)" }),
  JOBS_YIELD_ABOVE_RPS: z.coerce.number().int().nonnegative().default(200).meta({
    description:
      "while a core process sharing the job queues (`JOB_QUEUE_PREFIX`) serves more requests per second, embedding jobs wait (up to `JOBS_YIELD_MAX_MS` each) before they run; `0`: this process neither waits nor marks itself busy",
  }),
  JOBS_YIELD_MAX_MS: z.coerce
    .number()
    .int()
    .nonnegative()
    .max(60_000)
    .default(1_000)
    .meta({ description: "the longest an embedding job waits for requests to ease off: under a sustained load, vectors still arrive" }),
  EMBEDDING_CONCURRENCY: z.coerce
    .number()
    .int()
    .positive()
    .default(2)
    .meta({ description: "embedding jobs one core process runs at once (the gateway queues and schedules the model calls)" }),
  /**
   * Vector matches less similar than this (cosine) are not results: nearest is not the same as
   * related. 0.05 suits the built-in embedder, where unrelated texts score about 0; a real model
   * scores unrelated text higher (0.2-0.5), so raise it with one.
   */
  SEARCH_MIN_SIMILARITY: z.coerce.number().min(-1).max(1).default(0.05).meta({
    description:
      "vector matches less similar (cosine) are dropped; suits the built-in embedder, raise it (0.3-0.5) with a real embedding model",
  }),
  JOB_QUEUE_PREFIX: z
    .string()
    .min(1)
    .default("tcc:jobs")
    .meta({ description: "Redis key prefix of the BullMQ queues; deployments (or test runs) sharing one Redis each take their own" }),
  LOG_LEVEL: z
    .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"])
    .default("info")
    .meta({ description: "pino level; one JSON line per request with `requestId`, route, status, duration, user id" }),
  SHUTDOWN_GRACE_MS: z.coerce
    .number()
    .int()
    .nonnegative()
    .default(10_000)
    .meta({ description: "on SIGTERM: stop accepting, finish in-flight requests up to this long, close pools" }),
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
