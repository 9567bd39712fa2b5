// `BUN_FLAGS=scripts/bench/heap-watch.ts bun scripts/bench/profile.ts <scenario> 8`: runs core
// (the module after this one on the command line, which profile.ts passes) and samples its memory
// every 250 ms: VmRSS, RssAnon, RssFile, and `bun:jsc` heapStats() (heap size and capacity, memory
// outside the heap). At each new RSS peak it also keeps the heap's object counts by type. Writes
// /tmp/tcc-heap-watch-<PORT>.json every 2 s. docs/benchmarks.md ("Core's memory") reads it.
import { heapStats } from "bun:jsc";
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";

const out = `/tmp/tcc-heap-watch-${process.env.PORT ?? "core"}.json`;
const MB = 2 ** 20;
const kb = (status: string, key: string) => Number(status.match(new RegExp(`${key}:\\s+(\\d+)`))?.[1] ?? 0) / 1024;
const started = Date.now();
const samples: Record<string, number>[] = [];
let peak: Record<string, unknown> = { rss: 0 };

function sample() {
  const status = readFileSync("/proc/self/status", "utf8");
  const heap = heapStats();
  const s = {
    s: (Date.now() - started) / 1000,
    rss: kb(status, "VmRSS"),
    anon: kb(status, "RssAnon"),
    file: kb(status, "RssFile"),
    heap: heap.heapSize / MB,
    capacity: heap.heapCapacity / MB,
    outsideHeap: heap.extraMemorySize / MB,
  };
  samples.push(s);
  if (s.rss > (peak.rss as number)) {
    const types = Object.entries(heap.objectTypeCounts).sort((a, b) => b[1] - a[1]);
    peak = { ...s, objects: heap.objectCount, types: types.slice(0, 20) };
  }
}

let n = 0;
setInterval(() => {
  sample();
  if (++n % 8 === 0) writeFileSync(out, JSON.stringify({ peak, samples }));
}, 250).unref();

await import(resolve(process.argv[2] ?? "core/src/main.ts"));
