// The local load runner: runs a k6 scenario file over fetch, without k6.
//
//   bun load-tests/runner/cli.ts [--smoke] [-e NAME=value …] load-tests/scenarios/smoke.ts
//
// Prints each threshold with its value and exits 0 when all held, 99 when one failed (k6's
// code), 108 when the script aborted (k6's too). --smoke shrinks every scenario to seconds and
// a couple of VUs: for proving a scenario against a server, not for measuring one. Real
// capacity runs are `k6 run` from a load generator (load-tests/README.md).
import { resolve } from "node:path";
import { runScript } from "./engine";
import { aggregate } from "./metrics";

const args = process.argv.slice(2);
const env: Record<string, string> = {};
let smoke = false;
let script = "";
for (let i = 0; i < args.length; i++) {
  const a = args[i] as string;
  if (a === "--smoke") smoke = true;
  else if (a === "-e" || a === "--env") {
    const [k, ...v] = (args[++i] ?? "").split("=");
    if (k) env[k] = v.join("=");
  } else script = a;
}
if (!script) {
  console.error("usage: bun load-tests/runner/cli.ts [--smoke] [-e NAME=value …] <scenario.ts>");
  process.exit(2);
}

const result = await runScript({
  script: resolve(script),
  env: { ...(process.env as Record<string, string>), ...env },
  smoke,
  log: (l) => console.log(l),
});
const { store, durationS } = result;
const trend = (name: string) => store.select(name).values;
const d = trend("http_req_duration");
console.log(
  `\n${result.scenarios ? Object.keys(result.scenarios).join(", ") : ""}: ${d.length} requests in ${durationS.toFixed(1)} s; ` +
    `http_req_duration avg ${aggregate("trend", d, "avg", durationS).toFixed(1)} ms, p(95) ${aggregate("trend", d, "p(95)", durationS).toFixed(1)} ms; ` +
    `dropped_iterations ${store.select("dropped_iterations").values.length}`,
);
// Checks that failed at least once, by name, like k6's summary.
const checks = new Map<string, { ok: number; all: number }>();
for (const c of store.samples.filter((x) => x.metric === "checks")) {
  const k = checks.get(c.tags.check ?? "") ?? { ok: 0, all: 0 };
  k.all++;
  k.ok += c.value;
  checks.set(c.tags.check ?? "", k);
}
for (const [name, k] of checks) if (k.ok < k.all) console.log(`✗ check "${name}": ${k.ok}/${k.all} passed`);
for (const t of result.thresholds) {
  const value = t.value === null ? "no samples" : Number(t.value.toFixed(4));
  console.log(`${t.ok ? "✓" : "✗"} ${t.metric} ${t.expression}  (${value}, ${t.samples} samples)`);
}
for (const e of result.iterationErrors.slice(0, 10)) console.error(`iteration error: ${e}`);
if (result.aborted) {
  console.error(`aborted: ${result.aborted}`);
  process.exit(108);
}
process.exit(result.passed ? 0 : 99);
