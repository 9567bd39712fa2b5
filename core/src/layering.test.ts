import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { Glob } from "bun";

// The folder rules of core/src, checked on the import statements themselves.
const SRC = import.meta.dir;
const DOMAINS = ["accounts", "entries", "files", "galleries", "search", "chat", "sharing", "privacy"];
const INFRASTRUCTURE = ["http", "auth", "db", "lib", "jobs", "storage", "ai", "env.ts", "errors.ts", "context.ts"];
/** The composition root: it wires domains into the app and the processes, and nothing imports it back. */
const COMPOSITION = ["app.ts", "bootstrap.ts", "main.ts", "job-handlers.ts", "startup-sweeps.ts", "cli"];

const top = (file: string) => relative(SRC, file).split("/")[0] as string;

function graph(): Map<string, string[]> {
  const edges = new Map<string, string[]>();
  for (const rel of new Glob("**/*.ts").scanSync(SRC)) {
    if (rel.endsWith(".test.ts")) continue;
    const file = join(SRC, rel);
    const text = readFileSync(file, "utf8");
    const targets: string[] = [];
    for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+"(\.{1,2}\/[^"]+)"/g)) {
      const base = resolve(dirname(file), m[1] as string);
      const candidates = [`${base}.ts`, join(base, "index.ts"), base];
      const found = candidates.find((c) => Bun.file(c).size > 0 && c.endsWith(".ts"));
      if (found) targets.push(found);
    }
    edges.set(file, targets);
  }
  return edges;
}

describe("core/src layering", () => {
  const edges = graph();

  test("the folders the README's map names are all there is", () => {
    const known = new Set([...DOMAINS, ...INFRASTRUCTURE, ...COMPOSITION]);
    expect([...new Set([...edges.keys()].map(top))].filter((t) => !known.has(t))).toEqual([]);
  });

  test("infrastructure imports no domain and nothing of the composition root", () => {
    const wrong: string[] = [];
    for (const [file, targets] of edges) {
      if (!INFRASTRUCTURE.includes(top(file))) continue;
      for (const t of targets) {
        if (DOMAINS.includes(top(t)) || COMPOSITION.includes(top(t))) wrong.push(`${relative(SRC, file)} -> ${relative(SRC, t)}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  test("domains import nothing of the composition root", () => {
    const wrong: string[] = [];
    for (const [file, targets] of edges) {
      if (!DOMAINS.includes(top(file))) continue;
      for (const t of targets) if (COMPOSITION.includes(top(t))) wrong.push(`${relative(SRC, file)} -> ${relative(SRC, t)}`);
    }
    expect(wrong).toEqual([]);
  });

  test("no module imports itself back, however indirectly (type imports included)", () => {
    const cycles: string[] = [];
    const state = new Map<string, "open" | "done">();
    const path: string[] = [];
    const visit = (file: string) => {
      state.set(file, "open");
      path.push(file);
      for (const t of edges.get(file) ?? []) {
        if (state.get(t) === "open") cycles.push([...path.slice(path.indexOf(t)), t].map((f) => relative(SRC, f)).join(" -> "));
        else if (!state.has(t)) visit(t);
      }
      path.pop();
      state.set(file, "done");
    };
    for (const file of edges.keys()) if (!state.has(file)) visit(file);
    expect(cycles).toEqual([]);
  });

  test("shared/contracts imports nothing but zod and itself: the edge Worker bundles it (Workers APIs only)", () => {
    const dir = join(SRC, "../../shared/contracts");
    const outside: string[] = [];
    for (const rel of new Glob("**/*.ts").scanSync(dir)) {
      const text = readFileSync(join(dir, rel), "utf8");
      for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+"([^"]+)"/g)) {
        const spec = m[1] as string;
        if (spec !== "zod" && !spec.startsWith("./")) outside.push(`${rel}: ${spec}`);
      }
    }
    expect(outside).toEqual([]);
  });
});
