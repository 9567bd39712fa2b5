// `bun scripts/bench/import-rss.ts [module ...]`: the resident memory each module adds when it
// alone is imported into a fresh Bun process (after a full collection), and RssAnon/RssFile
// beside it. Without arguments: core's libraries, then core's own entry modules one after another.
// docs/benchmarks.md ("Core's memory") has the figures and how they were read.
import { readFileSync } from "node:fs";
import { join } from "node:path";

const LIBRARIES = ["hono", "@hono/zod-openapi", "zod", "ioredis", "bullmq", "prom-client", "pino", "postgres", "drizzle-orm", "jose"];
const RARE = ["openid-client", "otpauth", "fflate", "sharp", "openai", "exif-reader", "@scalar/hono-api-reference", "@electric-sql/pglite"];
const CORE = ["env.ts", "app.ts", "bootstrap.ts"].map((f) => join(import.meta.dir, "../../core/src", f));

function status() {
  const text = readFileSync("/proc/self/status", "utf8");
  const mb = (key: string) => Number(text.match(new RegExp(`${key}:\\s+(\\d+)`))?.[1] ?? 0) / 1024;
  return { rss: mb("VmRSS"), anon: mb("RssAnon"), file: mb("RssFile") };
}

const fmt = (n: number) => n.toFixed(1).padStart(6);

if (process.env.IMPORT_RSS_CHILD) {
  // One process: import each argument in turn, print what each added.
  for (const spec of process.argv.slice(2)) {
    Bun.gc(true);
    const before = status();
    await import(spec);
    Bun.gc(true);
    const after = status();
    const name = spec.startsWith("/") ? spec.split("/").slice(-2).join("/") : spec;
    console.log(
      `${name.padEnd(30)} RSS ${fmt(after.rss)} MB  +${fmt(after.rss - before.rss)}  (anon +${fmt(after.anon - before.anon)}, file +${fmt(after.file - before.file)})`,
    );
  }
} else {
  const run = (specs: string[]) =>
    Bun.spawnSync([process.execPath, import.meta.path, ...specs], { env: { ...process.env, IMPORT_RSS_CHILD: "1" }, stdout: "inherit" });
  const asked = process.argv.slice(2);
  if (asked.length) for (const m of asked) run([m]);
  else {
    console.log("each library alone, in a fresh process:");
    for (const m of [...LIBRARIES, ...RARE]) run([m]);
    console.log("core's entry modules, one after another in one process:");
    run(CORE);
  }
}
