// `npm run bench:galleries`: a shared gallery (JSON and the /g/:slug page) cold and warm, as
// ratios of a bare Bun.serve measured in the same run, then streamed 20 MB and 150 MB uploads
// with core's RSS sampled during them. Not a test: it prints figures for the closing note.
import { rmSync } from "node:fs";
import { deflateSync } from "node:zlib";
import { startServer, stop } from "./spawn";
import { describeUpload, measureUpload, type UploadRss } from "./upload-rss";
import { printTable, type WrkResult, wrk } from "./wrk";

const { DATABASE_URL, DATABASE_REPLICA_URLS = "", REDIS_URL } = process.env;
if (!DATABASE_URL || !REDIS_URL) throw new Error("run through `npm run bench:galleries`, which starts PostgreSQL and Redis");
const seconds = Number(process.env.BENCH_SECONDS ?? 8);
const IMAGES = 12;
const COLD_RUNS = 10;
const UPLOAD_MB = Number(process.env.BENCH_UPLOAD_MB ?? 20);
const LARGE_UPLOAD_MB = Number(process.env.BENCH_LARGE_UPLOAD_MB ?? 150);
const BARE = 18090;
const CORE = 18091;
const DATA_DIR = "/tmp/tcc-bench-galleries-data";
rmSync(DATA_DIR, { recursive: true, force: true });

const bare = await startServer(["bun", "scripts/bench/bare-server.ts", String(BARE)], {}, `http://127.0.0.1:${BARE}/`);
const core = await startServer(
  ["bun", "core/src/main.ts"],
  {
    PORT: String(CORE),
    DATABASE_URL,
    DATABASE_REPLICA_URLS,
    REDIS_URL,
    DATA_DIR,
    LOG_LEVEL: "info",
    MAX_FILE_BYTES: String((LARGE_UPLOAD_MB + 1) * 1024 * 1024),
    RATE_LIMIT_USER_PER_MIN: "100000000",
    RATE_LIMIT_IP_PER_MIN: "100000000",
    RATE_LIMIT_AUTH_PER_MIN: "100000000",
  },
  `http://127.0.0.1:${CORE}/readyz`,
);
const base = `http://127.0.0.1:${CORE}`;

async function call<T>(method: string, path: string, headers: Record<string, string>, body?: RequestInit["body"]): Promise<T> {
  const res = await fetch(`${base}${path}`, { method, headers, body });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

// A valid RGB PNG of one colour, w×h, with real zlib-compressed scanlines and CRCs.
function png(w: number, h: number, rgb: [number, number, number]): Uint8Array {
  const chunk = (type: string, data: Uint8Array) => {
    const out = new Uint8Array(12 + data.length);
    const view = new DataView(out.buffer);
    view.setUint32(0, data.length);
    out.set(new TextEncoder().encode(type), 4);
    out.set(data, 8);
    view.setUint32(8 + data.length, Bun.hash.crc32(out.subarray(4, 8 + data.length)));
    return out;
  };
  const ihdr = new Uint8Array(13);
  new DataView(ihdr.buffer).setUint32(0, w);
  new DataView(ihdr.buffer).setUint32(4, h);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit, truecolour, deflate, no filter method, no interlace
  const raw = new Uint8Array(h * (1 + 3 * w));
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) raw.set(rgb, y * (1 + 3 * w) + 1 + 3 * x);
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", new Uint8Array(deflateSync(raw))),
    chunk("IEND", new Uint8Array(0)),
  ];
  return Buffer.concat(parts);
}

// Seed a user, their images, and one public gallery of them.
const { accessToken } = await call<{ accessToken: string }>(
  "POST",
  "/v1/auth/register",
  { "content-type": "application/json" },
  JSON.stringify({ email: `bench-${Date.now()}@example.test`, password: "benchmark password" }),
);
const bearer = { authorization: `Bearer ${accessToken}` };
const auth = { ...bearer, "content-type": "application/json" };
const run = Date.now() % 256;
const fileIds: string[] = [];
for (let i = 0; i < IMAGES; i++) {
  const body = png(64 + i, 48, [(i * 20) % 256, run, 255 - i * 10]);
  const file = await call<{ id: string; mime: string }>(
    "PUT",
    `/v1/files?name=photo-${i}.png`,
    { ...bearer, "content-type": "image/png" },
    body,
  );
  if (file.mime !== "image/png") throw new Error(`photo-${i}.png stored as ${file.mime}`);
  fileIds.push(file.id);
}
// The image job bumps the gallery version when derivatives land: let it finish before timing.
for (const id of fileIds) {
  const deadline = Date.now() + 60_000;
  while (!(await call<{ metadata: { derivatives?: unknown } }>("GET", `/v1/files/${id}`, bearer)).metadata.derivatives) {
    if (Date.now() > deadline) throw new Error(`no derivatives for ${id} after 60 s`);
    await Bun.sleep(100);
  }
}
const gallery = await call<{ id: string; slug: string }>(
  "POST",
  "/v1/galleries",
  auth,
  JSON.stringify({ title: "Bench gallery", description: "A dozen small photos", visibility: "public" }),
);
for (const [i, fileId] of fileIds.entries())
  await call("POST", `/v1/galleries/${gallery.id}/items`, auth, JSON.stringify({ fileId, caption: `Photo ${i + 1}` }));
const jsonUrl = `${base}/v1/public/galleries/${gallery.slug}`;
const htmlUrl = `${base}/g/${gallery.slug}`;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const timed = async (url: string) => {
  const t0 = performance.now();
  const res = await fetch(url);
  await res.arrayBuffer();
  const ms = performance.now() - t0;
  if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
  return { ms, version: Number(res.headers.get("x-gallery-version") ?? Number.NaN) };
};
/** Single-request latency right after a PATCH bumped the version (a cache miss), and warm (a hit). */
async function singleRequests(url: string, checkVersion: boolean) {
  const cold: number[] = [];
  const warm: number[] = [];
  for (let i = 0; i < COLD_RUNS; i++) {
    const patched = await call<{ version: number }>(
      "PATCH",
      `/v1/galleries/${gallery.id}`,
      auth,
      JSON.stringify({ description: `A dozen small photos (${url.includes("/g/") ? "html" : "json"} ${i})` }),
    );
    const first = await timed(url);
    if (checkVersion && first.version !== patched.version) throw new Error(`expected version ${patched.version}, got ${first.version}`);
    cold.push(first.ms);
    warm.push((await timed(url)).ms);
  }
  const fmt = (xs: number[]) => `median ${median(xs).toFixed(2)} ms (min ${Math.min(...xs).toFixed(2)}, max ${Math.max(...xs).toFixed(2)})`;
  return { cold: fmt(cold), warm: fmt(warm) };
}

const htmlProbe = await fetch(htmlUrl);
await htmlProbe.arrayBuffer();
const htmlAvailable = htmlProbe.status !== 404;
if (htmlAvailable && !htmlProbe.ok) throw new Error(`GET /g/:slug: ${htmlProbe.status}`);

const jsonSingle = await singleRequests(jsonUrl, true);
const htmlSingle = htmlAvailable ? await singleRequests(htmlUrl, false) : null;

await timed(jsonUrl); // the wrk runs measure the cached (warm) path
const baseline = await wrk({ name: "bare Bun.serve", url: `http://127.0.0.1:${BARE}/`, seconds });
const results: WrkResult[] = [];
results.push(await wrk({ name: `GET /v1/public/galleries/:slug (warm, ${IMAGES} items)`, url: jsonUrl, seconds }));
results.push(
  await wrk({
    name: "GET /v1/public/galleries/:slug (warm, gzip)",
    url: jsonUrl,
    headers: { "accept-encoding": "gzip" },
    seconds,
  }),
);
if (htmlAvailable) {
  await timed(htmlUrl);
  results.push(await wrk({ name: `GET /g/:slug HTML (warm, ${IMAGES} items)`, url: htmlUrl, seconds }));
}

// Upload throughput and core's RSS: 20 MB and a larger file, streamed (neither side should hold it whole).
await Bun.sleep(500);
const uploads: UploadRss[] = [];
for (const mb of [UPLOAD_MB, LARGE_UPLOAD_MB]) uploads.push(await measureUpload(base, bearer, core.pid, mb));

printTable(results, baseline, {
  "bare Bun.serve": `${Math.round(baseline.rps).toLocaleString("en")} req/s, p50 ${baseline.p50Ms.toFixed(2)} ms, p99 ${baseline.p99Ms.toFixed(2)} ms`,
  "JSON cold (1st request after a version bump)": jsonSingle.cold,
  "JSON warm (single request, same runs)": jsonSingle.warm,
  "HTML /g/:slug": htmlSingle ? `cold ${htmlSingle.cold}; warm ${htmlSingle.warm}` : "HTML page not available (GET /g/:slug is 404)",
  ...Object.fromEntries(uploads.map((u) => [`upload ${u.mb} MB (PUT /v1/files, streamed)`, describeUpload(u)])),
  connections: `64, wrk -t2, ${seconds} s each, loopback, cold/warm single requests: ${COLD_RUNS} each`,
});

await stop(core);
await stop(bare);
rmSync(DATA_DIR, { recursive: true, force: true });
