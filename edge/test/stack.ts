// The real core (on the test PostgreSQL and Redis) behind a counting pass-through, so edge tests
// can say exactly which requests reached the origin, and can take the origin away.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serviceEnv } from "../../core/test/harness";
import { type CoreProcess, startCore } from "../../core/test/process";

export const TRUST_SECRET = "edge-test-trust-secret-0123456789abcdef";

export interface Seen {
  method: string;
  path: string;
  headers: Headers;
}

export interface Origin {
  core: CoreProcess;
  /** The URL the edge forwards to: the counting pass-through in front of core. */
  url: string;
  /** Every request that reached the origin, in order (JWKS fetches included). */
  seen: Seen[];
  /** Requests that reached the origin for `path` (exact, query included). */
  count(path: string): number;
  /** Core's DATA_DIR: its signing key is under keys/, for tests that mint their own tokens. */
  dataDir: string;
  stop(): Promise<void>;
}

export async function startOrigin(env: Record<string, string> = {}): Promise<Origin> {
  const dataDir = mkdtempSync(join(tmpdir(), "tcc-edge-core-"));
  const core = await startCore({
    ...serviceEnv(),
    DATA_DIR: dataDir,
    JOB_QUEUE_PREFIX: `tcc:test-jobs:edge:${process.pid}:${Date.now()}`,
    EDGE_TRUST_SECRET: TRUST_SECRET,
    RATE_LIMIT_IP_PER_MIN: "1000000",
    RATE_LIMIT_USER_PER_MIN: "1000000",
    RATE_LIMIT_AUTH_PER_MIN: "1000000",
    ...env,
  });
  const seen: Seen[] = [];
  const pass = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 0,
    async fetch(req) {
      const url = new URL(req.url);
      seen.push({ method: req.method, path: url.pathname + url.search, headers: new Headers(req.headers) });
      const res = await fetch(`${core.url}${url.pathname}${url.search}`, {
        method: req.method,
        headers: req.headers,
        body: req.body,
        redirect: "manual",
        decompress: false,
      });
      return new Response(res.body, res);
    },
  });
  return {
    core,
    url: `http://127.0.0.1:${pass.port}`,
    dataDir,
    seen,
    count: (path) => seen.filter((s) => s.path === path).length,
    async stop() {
      pass.stop(true);
      await core.stop();
    },
  };
}

export interface Session {
  token: string;
  userId: string;
}

export async function register(base: string, label = "edge"): Promise<Session> {
  const res = await fetch(`${base}/v1/auth/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: `${label}-${crypto.randomUUID()}@example.test`, password: "correct horse battery staple" }),
  });
  if (res.status !== 201) throw new Error(`register: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { accessToken: string; user: { id: string } };
  return { token: body.accessToken, userId: body.user.id };
}

/** JSON call with an optional bearer token. */
export async function call(
  base: string,
  method: string,
  path: string,
  token?: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const h: Record<string, string> = { ...headers };
  if (body !== undefined) h["content-type"] = "application/json";
  if (token) h.authorization = `Bearer ${token}`;
  const res = await fetch(`${base}${path}`, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let json: any = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = text;
  }
  return { status: res.status, headers: res.headers, body: json };
}
