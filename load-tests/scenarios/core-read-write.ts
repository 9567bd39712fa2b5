// The core API under a steady mixed load: cached list reads, reads by id, creates and keyword
// search, each at its own arrival rate, each judged against its budget in docs/benchmarks.md.
//
//   k6 run -e BASE_URL=https://staging.example.com load-tests/scenarios/core-read-write.ts
//
// Knobs (all -e NAME=value): DURATION (2m), LIST_RATE (100/s), GET_RATE (100/s), CREATE_RATE (50/s),
// SEARCH_RATE (20/s), SEED_ENTRIES (500), RTT_MS (0, added to every latency budget).
// The target's rate limits must allow this traffic; see load-tests/README.md.
import exec from "k6/execution";
import type { Options } from "k6/options";
import {
  budget,
  createEntry,
  entryBody,
  envNumber,
  getEntry,
  listEntries,
  pick,
  register,
  search,
  seedEntries,
  userRateLimitPerMinute,
  WORDS,
} from "../lib/api.ts";

const DURATION = __ENV.DURATION || "2m";
const RATES = {
  list: envNumber("LIST_RATE", 100),
  get: envNumber("GET_RATE", 100),
  create: envNumber("CREATE_RATE", 50),
  search: envNumber("SEARCH_RATE", 20),
};
const SEED_ENTRIES = envNumber("SEED_ENTRIES", 500);

// Arrival-rate executors keep sending at the planned rate however slow the server gets, so a
// slowdown shows up as latency (and dropped_iterations) instead of quietly lowering the load.
function steady(fn: string, rate: number) {
  return {
    executor: "constant-arrival-rate" as const,
    exec: fn,
    rate,
    timeUnit: "1s",
    duration: DURATION,
    preAllocatedVUs: Math.max(2, Math.ceil(rate / 10)),
    maxVUs: Math.max(10, rate * 2),
  };
}

export const options: Options = {
  scenarios: {
    list_cached: steady("listCached", RATES.list),
    get_by_id: steady("getById", RATES.get),
    create: steady("create", RATES.create),
    search: steady("searchKeyword", RATES.search),
  },
  thresholds: {
    // Budgets (docs/benchmarks.md): authenticated cached read p99 < 20 ms; entry create p99 < 50 ms;
    // search p95 < 50 ms. Reads by id are cached too once each id has been read once.
    "http_req_duration{scenario:list_cached}": [`p(99)<${budget(20)}`],
    "http_req_duration{scenario:get_by_id}": [`p(99)<${budget(20)}`],
    "http_req_duration{scenario:create}": [`p(99)<${budget(50)}`],
    "http_req_duration{scenario:search}": [`p(95)<${budget(50)}`],
    http_req_failed: ["rate<0.01"],
    checks: ["rate>0.99"],
    // Any 429 means the target's limits, not its speed, shaped the result.
    tcc_rate_limited: ["count==0"],
  },
  summaryTrendStats: ["avg", "med", "p(95)", "p(99)", "max"],
  // Registration may wait out the auth rate limit and seeding is SEED_ENTRIES creates.
  setupTimeout: "5m",
};

interface SetupData {
  /** Owns the seeded entries and is never written to during the run, so its reads stay cached. */
  reader: { token: string; ids: string[] };
  /** Takes every create: each write invalidates its owner's cached reads, so it must not be the reader. */
  writer: { token: string };
}

export function setup(): SetupData {
  const reader = register("reader");
  const writer = register("writer");

  // Fail fast with a useful message rather than measure a wall of 429s.
  // Only the per-user limit is visible (its RateLimit-* headers win); the per-IP one must be
  // at least the sum, since every request here leaves from one address.
  const perUserPerMinute = Math.max(RATES.list + RATES.get + RATES.search, RATES.create) * 60;
  const limit = userRateLimitPerMinute(reader.token);
  if (limit !== null && limit < perUserPerMinute) {
    exec.test.abort(
      `the target allows ${limit} requests/min per user but this run sends up to ${perUserPerMinute}/min as one user; ` +
        "raise RATE_LIMIT_USER_PER_MIN and RATE_LIMIT_IP_PER_MIN on the target (see load-tests/README.md) or lower the rates",
    );
  }

  const ids = seedEntries(reader.token, SEED_ENTRIES);
  // Warm the list cache so the first measured request is not the one miss.
  listEntries(reader.token);
  return { reader: { token: reader.token, ids }, writer: { token: writer.token } };
}

export function listCached(data: SetupData) {
  listEntries(data.reader.token);
}

export function getById(data: SetupData) {
  getEntry(data.reader.token, pick(data.reader.ids));
}

export function create(data: SetupData) {
  createEntry(data.writer.token, entryBody(exec.scenario.iterationInTest));
}

export function searchKeyword(data: SetupData) {
  // One or two words, as people type them.
  const q = Math.random() < 0.5 ? pick(WORDS) : `${pick(WORDS)} ${pick(WORDS)}`;
  search(data.reader.token, q);
}
