// The one place the k6 scenarios learn TCC Log's paths, payloads and knobs, so a scenario file
// reads as a traffic mix and an API change is fixed here once. This runs inside k6 (a Go JS
// runtime), not Bun or Node: only k6/* modules and the globals @types/k6 declares exist.
import { check, sleep } from "k6";
import exec from "k6/execution";
import http, { type RefinedResponse, type ResponseType } from "k6/http";
import { Counter } from "k6/metrics";

/** Origin under test: core directly, or the edge in front of it. No trailing slash. */
export const BASE_URL = (__ENV.BASE_URL || "http://127.0.0.1:8080").replace(/\/+$/, "");

/** Reads a numeric `-e NAME=value`, falling back when unset or not a number. */
export function envNumber(name: string, fallback: number): number {
  const raw = __ENV[name];
  const n = raw === undefined || raw === "" ? Number.NaN : Number(raw);
  return Number.isFinite(n) ? n : fallback;
}

/**
 * The budgets (docs/benchmarks.md) are measured next to the server. From a load generator elsewhere each
 * request also pays the network round trip, so `-e RTT_MS=` shifts every latency threshold.
 */
export const RTT_MS = envNumber("RTT_MS", 0);
export const budget = (ms: number) => ms + RTT_MS;

/** 429s get their own counter so a run spoiled by rate limits says so by name. */
export const rateLimited = new Counter("tcc_rate_limited");

export interface Entry {
  id: string;
  title: string;
  content: string;
  tags: string[];
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

const JSON_HEADERS = { "content-type": "application/json" };

export function authHeaders(token: string): Record<string, string> {
  return { ...JSON_HEADERS, authorization: `Bearer ${token}` };
}

/** Header lookup that ignores case: k6 canonicalises names (RateLimit-Limit → Ratelimit-Limit). */
export function header(res: RefinedResponse<ResponseType | undefined>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(res.headers)) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

function noteRateLimit(res: RefinedResponse<ResponseType | undefined>) {
  if (res.status === 429) rateLimited.add(1);
}

/** The parsed body, or {} when it is not JSON (res.json() would throw and end the iteration). */
function bodyOf<T>(res: RefinedResponse<ResponseType | undefined>): Partial<T> {
  try {
    return (res.json() ?? {}) as unknown as Partial<T>;
  } catch {
    return {};
  }
}

/**
 * Registers a fresh account and returns its access token. The auth routes have a strict per-IP
 * budget (RATE_LIMIT_AUTH_PER_MIN, 20 by default), so a 429 here is waited out via Retry-After
 * and marked as expected: it is set-up friction, not a failure of the system under test.
 */
export function register(label: string): { email: string; password: string; token: string } {
  const email = `k6-${label}-${Date.now()}-${Math.floor(Math.random() * 1e9)}@example.test`;
  const password = "k6 load test password";
  // One zero sample, so the count==0 threshold is evaluated even when nothing is refused
  // (k6 skips thresholds on metrics that never received a sample).
  rateLimited.add(0);
  for (let attempt = 1; attempt <= 5; attempt++) {
    const res = http.post(`${BASE_URL}/v1/auth/register`, JSON.stringify({ email, password }), {
      headers: JSON_HEADERS,
      tags: { name: "POST /v1/auth/register" },
      responseCallback: http.expectedStatuses(201, 429),
    });
    const token = bodyOf<{ accessToken: string }>(res).accessToken;
    if (res.status === 201 && token) return { email, password, token };
    if (res.status !== 429) exec.test.abort(`register failed: HTTP ${res.status} ${String(res.body).slice(0, 200)}`);
    const retryAfter = Number(header(res, "Retry-After"));
    sleep(Number.isFinite(retryAfter) ? Math.min(Math.max(retryAfter, 1), 60) : 5);
  }
  exec.test.abort("register: still rate-limited after 5 attempts; raise RATE_LIMIT_AUTH_PER_MIN on the target");
  throw new Error("unreachable"); // abort() ends the test; this satisfies the return type
}

export function login(email: string, password: string) {
  const res = http.post(`${BASE_URL}/v1/auth/login`, JSON.stringify({ email, password }), {
    headers: JSON_HEADERS,
    tags: { name: "POST /v1/auth/login" },
  });
  noteRateLimit(res);
  check(res, { "login: 200 with a token": (r) => r.status === 200 && typeof bodyOf<{ accessToken?: string }>(r).accessToken === "string" });
  return res;
}

// A small vocabulary so seeded entries and search queries overlap the way real notes do.
export const WORDS = ["bike", "chain", "service", "run", "garden", "decision", "meeting", "recipe", "travel", "budget", "book", "idea"];

export function pick<T>(items: readonly T[]): T {
  return items[Math.floor(Math.random() * items.length)] as T;
}

export function entryBody(i: number): string {
  const w = (n: number) => WORDS[(i * 7 + n * 3) % WORDS.length];
  return JSON.stringify({
    title: `${w(0)} ${w(1)} note ${i}`,
    content: `Today: ${w(2)} and ${w(3)}. `.repeat(20),
    tags: [w(4), w(5)],
  });
}

export function createEntry(token: string, body: string) {
  const res = http.post(`${BASE_URL}/v1/entries`, body, { headers: authHeaders(token), tags: { name: "POST /v1/entries" } });
  noteRateLimit(res);
  check(res, { "create: 201": (r) => r.status === 201 });
  return res;
}

/**
 * Creates `count` entries in parallel batches (http.batch) and returns their ids. Used by
 * setup(), so it aborts the run on failure: without seed data the read scenarios mean nothing.
 */
export function seedEntries(token: string, count: number, batchSize = 20): string[] {
  const ids: string[] = [];
  for (let start = 0; start < count; start += batchSize) {
    const n = Math.min(batchSize, count - start);
    const requests = Array.from({ length: n }, (_, k) => ({
      method: "POST",
      url: `${BASE_URL}/v1/entries`,
      body: entryBody(start + k),
      params: { headers: authHeaders(token), tags: { name: "POST /v1/entries (seed)" } },
    }));
    for (const res of http.batch(requests)) {
      const id = bodyOf<Entry>(res).id;
      if (res.status !== 201 || !id) exec.test.abort(`seeding failed: HTTP ${res.status} ${String(res.body).slice(0, 200)}`);
      else ids.push(id);
    }
  }
  return ids;
}

export function listEntries(token: string, query = "") {
  const res = http.get(`${BASE_URL}/v1/entries${query}`, { headers: authHeaders(token), tags: { name: "GET /v1/entries" } });
  noteRateLimit(res);
  check(res, { "list: 200 with items": (r) => r.status === 200 && Array.isArray(bodyOf<Page<Entry>>(r).items) });
  return res;
}

export function getEntry(token: string, id: string) {
  // One name for every id, or each URL would become its own time series.
  const res = http.get(`${BASE_URL}/v1/entries/${id}`, { headers: authHeaders(token), tags: { name: "GET /v1/entries/:id" } });
  noteRateLimit(res);
  check(res, { "get: 200 with the id asked for": (r) => r.status === 200 && bodyOf<Entry>(r).id === id });
  return res;
}

export function search(token: string, q: string) {
  const res = http.get(`${BASE_URL}/v1/search?q=${encodeURIComponent(q)}`, {
    headers: authHeaders(token),
    tags: { name: "GET /v1/search" },
  });
  noteRateLimit(res);
  check(res, { "search: 200 with items": (r) => r.status === 200 && Array.isArray(bodyOf<Page<unknown>>(r).items) });
  return res;
}

/** The per-user limit the target enforces, read from the RateLimit-Limit header of a request. */
export function userRateLimitPerMinute(token: string): number | null {
  const res = http.get(`${BASE_URL}/v1/auth/me`, { headers: authHeaders(token), tags: { name: "GET /v1/auth/me" } });
  const raw = header(res, "RateLimit-Limit");
  return raw === undefined ? null : Number(raw);
}
