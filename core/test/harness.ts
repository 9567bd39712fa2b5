import { expect } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DisabledAiClient } from "../src/ai/client";
import { createApp } from "../src/app";
import { closeServices, createServices, openMigratedDatabase } from "../src/bootstrap";
import type { Services } from "../src/context";
import { type Env, parseEnv } from "../src/env";
import type { App } from "../src/http/types";

/**
 * Test services come from scripts/test.sh (real Postgres primary + streaming replica, real
 * Redis). Running `bun test` without them is a setup mistake, so say so plainly.
 */
export function serviceEnv(): Record<string, string> {
  const { DATABASE_URL, DATABASE_REPLICA_URLS, REDIS_URL } = process.env;
  if (!DATABASE_URL || !REDIS_URL) {
    throw new Error("DATABASE_URL and REDIS_URL are not set: run the suite with `npm test`, which starts PostgreSQL and Redis");
  }
  return { DATABASE_URL, DATABASE_REPLICA_URLS: DATABASE_REPLICA_URLS ?? "", REDIS_URL };
}

let harnesses = 0;
export function testEnv(overrides: Record<string, string> = {}): Env {
  return parseEnv({
    ...serviceEnv(),
    DATA_DIR: mkdtempSync(join(tmpdir(), "tcc-test-")),
    LOG_LEVEL: "silent",
    // Generous defaults: every test request comes from one "IP"; limit tests set their own.
    RATE_LIMIT_IP_PER_MIN: "1000000",
    RATE_LIMIT_USER_PER_MIN: "1000000",
    RATE_LIMIT_AUTH_PER_MIN: "1000000",
    GALLERY_PASSWORD_IP_MAX_FAILURES: "1000000",
    GALLERY_PASSWORD_MAX_FAILURES: "1000000",
    REGISTER_MAX_CONFLICTS: "1000000",
    // Each harness its own job queues: a worker of another harness (or a started core process)
    // sharing this Redis would otherwise take jobs whose files live in a storage it cannot see.
    JOB_QUEUE_PREFIX: `tcc:test-jobs:${process.pid}:${++harnesses}`,
    ...overrides,
  });
}

let migrated: Promise<void> | undefined;
/** Migrations run once per test process, not once per harness. */
function migrateOnce(env: Env) {
  migrated ??= openMigratedDatabase(env).then((db) => db.close());
  return migrated;
}

export interface Res<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** A Response whose JSON is loosely typed, like Res.body. */
export type RawRes = Omit<Response, "json"> & { json(): Promise<any> };

export class Client {
  constructor(
    private readonly app: App,
    readonly token?: string,
    readonly info: { id: string; email: string; password: string; refreshToken?: string } = { id: "", email: "", password: "" },
  ) {}

  withToken(token: string | undefined) {
    return new Client(this.app, token, this.info);
  }

  async request<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Res<T>> {
    const h: Record<string, string> = { ...headers };
    if (this.token) h.authorization = `Bearer ${this.token}`;
    let payload: NonNullable<RequestInit["body"]> | undefined;
    if (body !== undefined) {
      payload = typeof body === "string" || body instanceof Uint8Array ? (body as NonNullable<RequestInit["body"]>) : JSON.stringify(body);
      h["content-type"] ??= "application/json";
    }
    const res = await this.app.request(path, { method, headers: h, body: payload });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {}
    return { status: res.status, body: parsed as T, headers: res.headers };
  }

  /** The raw Response, with the body sent as given (a stream, FormData, bytes): for uploads and downloads. */
  fetch(method: string, path: string, body?: RequestInit["body"], headers: Record<string, string> = {}): Promise<RawRes> {
    const h: Record<string, string> = { ...headers };
    if (this.token) h.authorization = `Bearer ${this.token}`;
    // duplex is needed (by the Fetch spec) to send a ReadableStream body.
    return Promise.resolve(this.app.request(path, { method, headers: h, body, duplex: "half" } as RequestInit)) as Promise<RawRes>;
  }

  get<T = any>(path: string, headers?: Record<string, string>) {
    return this.request<T>("GET", path, undefined, headers);
  }
  post<T = any>(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.request<T>("POST", path, body ?? {}, headers);
  }
  patch<T = any>(path: string, body: unknown) {
    return this.request<T>("PATCH", path, body);
  }
  put<T = any>(path: string, body: unknown) {
    return this.request<T>("PUT", path, body);
  }
  del<T = any>(path: string) {
    return this.request<T>("DELETE", path);
  }
}

let counter = 0;
export const uniqueEmail = (label = "user") => `${label}-${Date.now().toString(36)}-${process.pid}-${++counter}@example.test`;

export interface Harness {
  app: App;
  services: Services;
  anon: Client;
  /** A freshly registered, signed-in user of their own. */
  user(label?: string): Promise<Client>;
  close(): Promise<void>;
}

/**
 * The app over the real test services. AI is off (DisabledAiClient: no gateway process, no
 * embedding jobs) unless `overrides` point AI_GATEWAY_URL at a gateway, as AI tests do with
 * startAiStack().coreEnv.
 */
export async function createHarness(overrides: Record<string, string> = {}): Promise<Harness> {
  const env = testEnv(overrides);
  await migrateOnce(env);
  const services = await createServices(env, { ai: env.AI_GATEWAY_URL ? undefined : new DisabledAiClient() });
  const app = createApp(services);
  const anon = new Client(app);
  return {
    app,
    services,
    anon,
    async user(label) {
      const email = uniqueEmail(label);
      const password = "correct horse battery staple";
      const res = await anon.post("/v1/auth/register", { email, password });
      if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
      return new Client(app, res.body.accessToken, { id: res.body.user.id, email, password, refreshToken: res.body.refreshToken });
    },
    close: () => closeServices(services),
  };
}

/** A 400 VALIDATION_FAILED error envelope. */
export function expectValidationError(res: Res) {
  expect(res.status).toBe(400);
  expect(res.body.error.code).toBe("VALIDATION_FAILED");
}

/** Polls `cond` every 10 ms until it holds or `ms` pass; whether it held. */
export async function waitUntil(cond: () => boolean, ms = 5_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!cond() && Date.now() < deadline) await Bun.sleep(10);
  return cond();
}

/**
 * The embedded default in this process: PGlite under `dataDir`, cache, limits and jobs in
 * memory. AI is off as in createHarness unless `env` names a gateway (startCore runs the real
 * embedded gateway).
 */
export async function createEmbedded(dataDir: string, env: Record<string, string> = {}): Promise<{ services: Services; client: Client }> {
  const parsed = parseEnv({ DATA_DIR: dataDir, LOG_LEVEL: "silent", ...env });
  const services = await createServices(parsed, { ai: parsed.AI_GATEWAY_URL ? undefined : new DisabledAiClient() });
  return { services, client: new Client(createApp(services)) };
}
