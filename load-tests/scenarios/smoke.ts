// One virtual user walking every path the load scenario uses, plus health and metrics: run it
// after a deploy, or before core-read-write.ts, to learn in seconds that the target is wired up.
// It stays far below every default rate limit (including the 20/min auth budget), so it runs
// against an unmodified deployment.
//
//   k6 run -e BASE_URL=https://staging.example.com load-tests/scenarios/smoke.ts
import { check, sleep } from "k6";
import http from "k6/http";
import type { Options } from "k6/options";
import { BASE_URL, createEntry, entryBody, getEntry, listEntries, login, register, search } from "../lib/api.ts";

export const options: Options = {
  scenarios: {
    smoke: { executor: "per-vu-iterations", vus: 1, iterations: 3, maxDuration: "1m" },
  },
  thresholds: {
    // A smoke test tolerates nothing: one failed request or check is a broken deploy.
    http_req_failed: ["rate==0"],
    checks: ["rate==1"],
    tcc_rate_limited: ["count==0"],
  },
};

interface SetupData {
  email: string;
  password: string;
  token: string;
}

export function setup(): SetupData {
  const health = http.get(`${BASE_URL}/healthz`, { tags: { name: "GET /healthz" } });
  check(health, { "healthz: 200": (r) => r.status === 200 });
  return register("smoke");
}

export default function (data: SetupData) {
  // /readyz answers 200 when the primary answers, with "degraded" if Redis or a replica is not.
  const ready = http.get(`${BASE_URL}/readyz`, { tags: { name: "GET /readyz" } });
  check(ready, {
    "readyz: 200": (r) => r.status === 200,
    "readyz: not degraded": (r) => String(r.body).includes('"status":"ok"'),
  });

  const created = createEntry(data.token, entryBody(__ITER));
  let id = "";
  try {
    id = (created.json() as { id?: string } | null)?.id ?? "";
  } catch {
    // Not JSON: the create check has already failed and says so.
  }
  if (id) getEntry(data.token, id);
  listEntries(data.token);
  search(data.token, "bike");
  if (__ITER === 0) login(data.email, data.password);
  sleep(1);
}

export function teardown() {
  // /metrics is often not routed publicly (the Kubernetes ingress leaves it out); skip a 404.
  const metrics = http.get(`${BASE_URL}/metrics`, { tags: { name: "GET /metrics" }, responseCallback: http.expectedStatuses(200, 404) });
  if (metrics.status === 200)
    check(metrics, { "metrics: tcc_requests_total exported": (r) => String(r.body).includes("tcc_requests_total") });
}
