// The public gallery through the edge: anonymous readers fetching one published gallery as a
// page (/g/{slug}) and as JSON (/v1/public/galleries/{slug}), the traffic the edge's cache is
// for. In a deployment point EDGE_URL at the edge (the Worker's route) and set
// EXPECT_EDGE_CACHE=true: the edge must then answer at least 95% of these from its cache
// (DESIGN.md), read from the CACHE_HEADER it sets on responses.
//
//   k6 run -e BASE_URL=https://api.example.com -e EDGE_URL=https://tcclog.example.com \
//          -e EXPECT_EDGE_CACHE=true load-tests/scenarios/edge-gallery.ts
//
// setup() publishes the gallery through BASE_URL (core, or the edge forwarding to it).
// Knobs: RATE (200/s), DURATION (2m), MAX_VUS (300), CACHE_HEADER (x-cache: the edge's
// cache status header, HIT/MISS/REVALIDATED/BYPASS; edge/README.md).
import { check } from "k6";
import encoding from "k6/encoding";
import exec from "k6/execution";
import http from "k6/http";
import { Rate } from "k6/metrics";
import type { Options } from "k6/options";
import { authHeaders, BASE_URL, envNumber, header, register } from "../lib/api.ts";

const EDGE_URL = (__ENV.EDGE_URL || BASE_URL).replace(/\/+$/, "");
const CACHE_HEADER = __ENV.CACHE_HEADER || "x-cache";
const EXPECT_EDGE_CACHE = __ENV.EXPECT_EDGE_CACHE === "true";
const cacheHit = new Rate("tcc_edge_cache_hit");

export const options: Options = {
  scenarios: {
    readers: {
      executor: "constant-arrival-rate",
      rate: envNumber("RATE", 200),
      timeUnit: "1s",
      duration: __ENV.DURATION || "2m",
      preAllocatedVUs: 20,
      maxVUs: envNumber("MAX_VUS", 300),
    },
  },
  thresholds: {
    // The guide's targets; anonymous reads are never rate-limited by user, only by IP.
    http_req_duration: ["p(95)<2000"],
    http_req_failed: ["rate<0.01"],
    checks: ["rate>0.99"],
    ...(EXPECT_EDGE_CACHE ? { tcc_edge_cache_hit: ["rate>=0.95"] } : {}),
  },
  summaryTrendStats: ["avg", "med", "p(95)", "p(99)", "max"],
};

// A 1×1 PNG: enough for a gallery item (the derivatives job makes its thumbnails).
const PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

interface SetupData {
  slug: string;
  title: string;
}

export function setup(): SetupData {
  const { token } = register("gallery");
  const up = http.put(`${BASE_URL}/v1/files?name=k6.png`, encoding.b64decode(PNG), {
    headers: { authorization: `Bearer ${token}`, "content-type": "image/png" },
    tags: { name: "PUT /v1/files" },
  });
  const fileId = (up.json() as { id?: string } | null)?.id;
  if (!fileId) throw new Error(`upload failed: HTTP ${up.status} ${String(up.body).slice(0, 200)}`);
  const title = `k6 gallery ${Date.now()}`;
  const made = http.post(`${BASE_URL}/v1/galleries`, JSON.stringify({ title, visibility: "public" }), {
    headers: authHeaders(token),
    tags: { name: "POST /v1/galleries" },
  });
  const gallery = made.json() as { id?: string; slug?: string } | null;
  if (!gallery?.id || !gallery.slug) throw new Error(`gallery failed: HTTP ${made.status} ${String(made.body).slice(0, 200)}`);
  for (const caption of ["first", "second"]) {
    const item = http.post(`${BASE_URL}/v1/galleries/${gallery.id}/items`, JSON.stringify({ fileId, caption }), {
      headers: authHeaders(token),
      tags: { name: "POST /v1/galleries/:id/items" },
    });
    if (item.status !== 201) exec.test.abort(`adding a gallery item failed: HTTP ${item.status} ${String(item.body).slice(0, 200)}`);
  }
  return { slug: gallery.slug, title };
}

export default function (data: SetupData) {
  const page = Math.random() < 0.5;
  const res = page
    ? http.get(`${EDGE_URL}/g/${data.slug}`, { tags: { name: "GET /g/:slug" } })
    : http.get(`${EDGE_URL}/v1/public/galleries/${data.slug}`, { tags: { name: "GET /v1/public/galleries/:slug" } });
  check(res, {
    "gallery: 200": (r) => r.status === 200,
    "gallery: the published one": (r) => String(r.body).includes(data.title),
  });
  const status = header(res, CACHE_HEADER);
  if (status !== undefined) cacheHit.add(status.toUpperCase() === "HIT");
}
