import type { Context } from "hono";
import { forward } from "./forward";
import type { CacheStatus } from "./metrics";
import { limited } from "./rate-limit";
import type { EdgeEnv } from "./types";

/** When the edge stored an entry (ms); freshness is judged by this, not by the Cache API's own expiry. */
const STORED_AT = "x-edge-stored-at";
/** What clients get: they may keep the body, but must ask again (a cheap 304 here) before using it. */
const CLIENT_CACHE = "public, max-age=0, must-revalidate";
/** Core's headers worth keeping with a stored gallery. */
const KEEP = ["content-type", "etag", "x-gallery-version", "content-security-policy"];

function etagMatches(ifNoneMatch: string | undefined, etag: string | null): boolean {
  if (!ifNoneMatch || !etag) return false;
  return ifNoneMatch.trim() === "*" || ifNoneMatch.split(",").some((t) => t.trim().replace(/^W\//, "") === etag);
}

/** Only an open gallery core marked as shareable, whole, with a validator to revalidate by. */
function storable(res: Response): boolean {
  const cc = res.headers.get("cache-control") ?? "";
  return res.status === 200 && res.headers.has("etag") && /\bpublic\b/.test(cc) && !/\b(private|no-store)\b/.test(cc);
}

function respond(c: Context<EdgeEnv>, stored: Response, body: ArrayBuffer | ReadableStream | null, cache: CacheStatus): Response {
  const headers = new Headers();
  for (const h of KEEP) {
    const v = stored.headers.get(h);
    if (v !== null) headers.set(h, v);
  }
  headers.set("cache-control", CLIENT_CACHE);
  headers.set("x-cache", cache);
  headers.set("x-request-id", c.get("requestId"));
  if (etagMatches(c.req.header("if-none-match"), stored.headers.get("etag"))) return new Response(null, { status: 304, headers });
  return new Response(body, { status: 200, headers });
}

/**
 * `GET /v1/public/galleries/{slug}` and `GET /g/{slug}` from this data centre's cache.
 * `caches.default` is per data centre and has no global purge, so the bound is kept by time:
 * an entry is served for GALLERY_FRESH_S, then revalidated with core's ETag (a 304 refreshes
 * it, a 200 replaces it, a 404 or 401 removes it). Core's own Cache-Control (hours of
 * stale-while-revalidate) is replaced on what is stored and on what clients get.
 * While one request revalidates an entry, others in the same isolate get the entry for at most
 * REVALIDATING_GRACE_MS more, so an expiry under load costs core one request, not one per
 * viewer: the bound is GALLERY_FRESH_S plus that second.
 * Requests with a password, any query, or Authorization bypass the cache entirely.
 */
export async function galleryFromCache(c: Context<EdgeEnv>): Promise<Response> {
  const req = c.req.raw;
  const url = new URL(req.url);
  if (req.method !== "GET" || url.search !== "" || req.headers.has("authorization") || req.headers.has("x-gallery-password")) {
    return bypass(c);
  }
  const cfg = c.get("cfg");
  const cache = caches.default;
  const key = new Request(`${url.origin}${url.pathname}`);
  const entry = await cache.match(key);
  const age = entry ? Date.now() - Number(entry.headers.get(STORED_AT) ?? 0) : Number.POSITIVE_INFINITY;
  if (entry && age >= 0 && age < cfg.GALLERY_FRESH_S * 1000) return respond(c, entry, entry.body, "HIT");
  // One revalidation per entry at a time in this isolate: while it is in flight, the others are
  // served the entry they have, for at most REVALIDATING_GRACE_MS past its freshness.
  if (entry && revalidating.has(key.url) && age < cfg.GALLERY_FRESH_S * 1000 + REVALIDATING_GRACE_MS) {
    return respond(c, entry, entry.body, "HIT");
  }
  revalidating.add(key.url);
  try {
    return await fromOrigin(c, cache, key, entry);
  } finally {
    revalidating.delete(key.url);
  }
}

/** Keys this isolate is revalidating now (plain strings: nothing is shared between requests but this flag). */
const revalidating = new Set<string>();
const REVALIDATING_GRACE_MS = 1_000;

function fromOrigin(c: Context<EdgeEnv>, cache: Cache, key: Request, entry: Response | undefined): Promise<Response> {
  const cfg = c.get("cfg");
  return limited(c, async () => {
    const etag = entry?.headers.get("etag");
    // The edge judges the client's validator itself; core's is the stored entry's, or none.
    const res = await forward(c, etag ? { "if-none-match": etag } : {}, ["if-none-match"]);
    if (res.status === 304 && entry) {
      const body = await entry.arrayBuffer();
      await cache.put(key, store(entry, body, cfg.GALLERY_STORE_S)); // before the flag drops: the next view finds it
      return respond(c, entry, body, "REVALIDATED");
    } else if (storable(res)) {
      const body = await res.arrayBuffer();
      await cache.put(key, store(res, body, cfg.GALLERY_STORE_S)); // before the flag drops: the next view finds it
      return respond(c, res, body, "MISS");
    }
    // Withdrawn (404), protected now (401) or anything else core would not let be shared:
    // this data centre forgets it; the others do when their entries next revalidate.
    if (entry && res.status >= 400 && res.status < 500) c.executionCtx.waitUntil(cache.delete(key));
    res.headers.set("x-cache", "MISS");
    return res;
  });
}

function store(from: Response, body: ArrayBuffer, storeS: number): Response {
  const headers = new Headers();
  for (const h of KEEP) {
    const v = from.headers.get(h);
    if (v !== null) headers.set(h, v);
  }
  headers.set("cache-control", `public, max-age=${Math.round(storeS)}`);
  headers.set(STORED_AT, String(Date.now()));
  return new Response(body, { status: 200, headers });
}

function bypass(c: Context<EdgeEnv>): Promise<Response> {
  return limited(c, async () => {
    const res = await forward(c);
    res.headers.set("x-cache", "BYPASS");
    return res;
  });
}
