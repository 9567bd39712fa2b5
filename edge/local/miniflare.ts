// Runs the edge Worker locally in real workerd through Miniflare's class API (the miniflare
// wrangler brings), bundled from edge/src, with wrangler.toml's settings: for the tests,
// `npm run start:edge` and `npm run bench:edge`. (wrangler's own dev server needs Node 22.12+,
// and run by Bun it answers 503: Bun's fetch ignores Miniflare's dispatcher.)
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";

const root = join(import.meta.dir, "../..");
const wrangler = Bun.TOML.parse(await Bun.file(join(root, "wrangler.toml")).text()) as {
  compatibility_date: string;
  vars: Record<string, string>;
  durable_objects: { bindings: { name: string; class_name: string }[] };
};

let built: Promise<string> | undefined;

/** One bundle per test process: workers-style ESM, `cloudflare:*` left to workerd. */
export function buildWorker(): Promise<string> {
  built ??= (async () => {
    const outdir = mkdtempSync(join(tmpdir(), "tcc-edge-build-"));
    const out = await Bun.build({
      entrypoints: [join(root, "edge/src/index.ts")],
      outdir,
      target: "browser",
      format: "esm",
      conditions: ["workerd", "worker", "browser"],
      external: ["cloudflare:*"],
    });
    if (!out.success) throw new AggregateError(out.logs, "edge bundle failed");
    return join(outdir, "index.js");
  })();
  return built;
}

export interface Edge {
  url: string;
  mf: Miniflare;
  stop(): Promise<void>;
}

/**
 * One edge "data centre": its own workerd, cache and Durable Objects. `vars` override
 * wrangler.toml's [vars] (CORE_ORIGIN at least).
 */
export async function startEdge(vars: Record<string, string>, port = 0): Promise<Edge> {
  const bundle = await buildWorker();
  // miniflare 5 takes a new shape of options; wrangler builds it from the v4 shape the same way.
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      host: "127.0.0.1",
      port,
      modules: true,
      scriptPath: bundle,
      modulesRoot: dirname(bundle), // module names are relative to it, and may not climb out of it
      compatibilityDate: wrangler.compatibility_date,
      bindings: { ...wrangler.vars, ...vars },
      durableObjects: Object.fromEntries(
        wrangler.durable_objects.bindings.map((b) => [b.name, { className: b.class_name, useSQLite: true }]),
      ),
    }),
  );
  const url = (await mf.ready).toString().replace(/\/$/, "");
  return { url, mf, stop: () => mf.dispose() };
}

/** wrangler.toml's [vars]: the defaults a local edge starts with. */
export function wranglerVars(): Record<string, string> {
  return { ...wrangler.vars };
}
