// The traffic mix of the capacity, spike and soak scenarios: one iteration is one request,
// picked by weight the way people use the API (mostly reads of their own recent entries).
import http from "k6/http";
import { BASE_URL, createEntry, entryBody, getEntry, listEntries, pick, register, search, seedEntries, WORDS } from "./api.ts";

/** The guide's service-level targets: "< 2 s response" and an error rate far under its 5% page. */
export const GUIDE_THRESHOLDS = {
  http_req_duration: ["p(95)<2000"],
  http_req_failed: ["rate<0.01"],
  checks: ["rate>0.99"],
  // Any 429 means the target's limits, not its capacity, shaped the result.
  tcc_rate_limited: ["count==0"],
};

export interface MixData {
  reader: { token: string; ids: string[] };
  writer: { token: string };
}

/** Two accounts, as in core-read-write.ts: the reader's entries stay cached, the writer takes every create. */
export function setupMix(seed: number): MixData {
  const reader = register("reader");
  const writer = register("writer");
  const ids = seedEntries(reader.token, seed);
  listEntries(reader.token);
  return { reader: { token: reader.token, ids }, writer: { token: writer.token } };
}

/**
 * Long-lived credentials for runs longer than an access token lives (15 minutes): an API key
 * per account, which never expires mid-run and needs no refresh (a refresh token is single-use,
 * so VUs sharing one would revoke each other's login).
 */
export function apiKey(token: string, scopes: string[]): string {
  const res = http.post(`${BASE_URL}/v1/api-keys`, JSON.stringify({ name: `k6 ${Date.now()}`, scopes }), {
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    tags: { name: "POST /v1/api-keys" },
  });
  const key = (res.json() as { key?: string } | null)?.key;
  if (res.status !== 201 || !key) throw new Error(`api key: HTTP ${res.status} ${String(res.body).slice(0, 200)}`);
  return key;
}

/** One request of the mix: 45% cached list, 30% get by id, 15% create, 10% keyword search. */
export function mixedRequest(data: MixData, iteration: number) {
  const r = Math.random();
  if (r < 0.45) return listEntries(data.reader.token);
  if (r < 0.75) return getEntry(data.reader.token, pick(data.reader.ids));
  if (r < 0.9) return createEntry(data.writer.token, entryBody(iteration));
  return search(data.reader.token, pick(WORDS));
}
