import { readFileSync } from "node:fs";

// Turns a .cpuprofile (Bun's --cpu-prof) into "where a request's microseconds go": each sample in
// the time window is charged to the innermost frame that belongs to a known part (native frames
// such as a socket write count for the JavaScript that called them).

interface Frame {
  functionName: string;
  url: string;
}
interface ProfileNode {
  id: number;
  callFrame: Frame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Parts in the order they are tried from the innermost frame outwards; the first match takes the sample. */
const PARTS: [string, (f: Frame) => boolean][] = [
  ["JWT verify (jose)", (f) => f.url.includes("/jose/") || f.url.includes("/auth/tokens.ts")],
  ["logging (pino)", (f) => /\/(pino|@pinojs|sonic-boom|thread-stream)\//.test(f.url) || /\/lib\/(logger|batched-lines)\.ts/.test(f.url)],
  ["metrics (prom-client)", (f) => f.url.includes("/prom-client/") || f.url.includes("/lib/metrics.ts")],
  ["Redis client (ioredis)", (f) => /\/(ioredis|@ioredis|redis-errors|standard-as-callback|cluster-key-slot|denque)\//.test(f.url)],
  ["SQL (drizzle + postgres.js)", (f) => /\/(postgres|drizzle-orm)\//.test(f.url) || f.url.includes("/db/src/")],
  ["jobs (BullMQ)", (f) => /\/(bullmq|cron-parser|msgpackr)\//.test(f.url)],
  [
    "gate, limits, revocation",
    (f) =>
      /\/(lib\/gate|lib\/rate-limit|lib\/gcra|http\/protect|http\/rate-limit|auth\/identify|lib\/revocations|lib\/local-limits|lib\/token-cache)\.ts/.test(
        f.url,
      ),
  ],
  ["read cache", (f) => /\/(lib\/read-cache|lib\/lru|lib\/kv|lib\/redis-kv)\.ts/.test(f.url)],
  ["validation (zod)", (f) => /\/(zod|@hono\/zod-validator|@hono\/zod-openapi)\//.test(f.url) || f.url.includes("/validator/")],
  ["JSON", (f) => f.url === "" && /^(stringify|parse)$/.test(f.functionName)],
  [
    "response headers, gzip, body checks",
    (f) => /\/http\/(compress|body|client-ip)\.ts/.test(f.url) || /secure-headers|request-id|conninfo/.test(f.url),
  ],
  ["route handler + services", (f) => f.url.includes("/core/src/")],
  ["Hono (routing, context, compose)", (f) => f.url.includes("/hono/")],
  ["module loading", (f) => f.functionName === "require" || f.functionName === "(module)" || f.functionName === "moduleEvaluation"],
];
const OTHER = "Bun runtime (HTTP server, event loop, GC, other native)";

export function breakdown(path: string, fromUs: number, toUs: number): { parts: Map<string, number>; totalUs: number } {
  const p = JSON.parse(readFileSync(path, "utf8")) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const memo = new Map<number, string>();
  const partOf = (id: number): string => {
    const hit = memo.get(id);
    if (hit) return hit;
    let part = OTHER;
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = (byId.get(cur) as ProfileNode).callFrame;
      const match = PARTS.find(([, test]) => test(f));
      if (match) {
        part = match[0];
        break;
      }
    }
    memo.set(id, part);
    return part;
  };
  const parts = new Map<string, number>();
  let t = p.startTime;
  let totalUs = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.timeDeltas[i] ?? 0;
    t += dt;
    if (t < fromUs || t > toUs) continue;
    // The delta before a sample is the time it stands for (bounded: an idle gap is not CPU).
    const us = Math.min(dt, 5_000);
    const name = partOf(p.samples[i] as number);
    parts.set(name, (parts.get(name) ?? 0) + us);
    totalUs += us;
  }
  return { parts, totalUs };
}
