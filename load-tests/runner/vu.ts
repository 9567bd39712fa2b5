// One virtual user: a Worker that loads the scenario with the k6 modules provided by
// k6-modules.ts, then runs setup, iterations or teardown when the runner asks.
import { plugin } from "bun";
import { AbortTest, makeModules, type VuContext } from "./k6-modules";
import type { FromVu, ToVu, WireRequest, WireResponse } from "./protocol";
import { HEADER_BYTES } from "./protocol";

declare const self: Worker;
const post = (m: FromVu) => self.postMessage(m);

let signal: Int32Array;
let answer: Uint8Array;
const ctx: VuContext = {
  vu: 0,
  scenario: "setup",
  scenarioTags: {},
  iterationInScenario: 0,
  iterationInTest: 0,
  samples: [],
  metricTypes: {},
  http(requests: WireRequest[]): WireResponse[] {
    Atomics.store(signal, 0, 0);
    post({ type: "http", requests });
    Atomics.wait(signal, 0, 0);
    const length = Atomics.load(signal, 1);
    return JSON.parse(new TextDecoder().decode(answer.slice(0, length)));
  },
};

const modules = makeModules(ctx);
plugin({
  name: "k6 for the local runner",
  setup(build) {
    for (const [name, exports] of Object.entries(modules)) {
      const all = { ...exports, default: exports } as Record<string, unknown>;
      build.module(name, () => ({ exports: all, loader: "object" }));
    }
  },
});

let script: Record<string, unknown> = {};
const g = globalThis as Record<string, unknown>;

function finish(extra: Partial<Extract<FromVu, { type: "done" }>>) {
  const samples = ctx.samples;
  ctx.samples = [];
  post({ type: "done", samples, metricTypes: ctx.metricTypes, ...extra });
}

function run(fn: () => unknown) {
  try {
    finish({ result: fn() });
  } catch (err) {
    if (err instanceof AbortTest) finish({ abort: err.message });
    else finish({ error: (err as Error)?.stack ?? String(err) });
  }
}

self.onmessage = async (e: MessageEvent<ToVu>) => {
  const m = e.data;
  switch (m.type) {
    case "init": {
      signal = new Int32Array(m.shared, 0, 2);
      answer = new Uint8Array(m.shared, HEADER_BYTES);
      ctx.vu = m.vu;
      g.__ENV = m.env;
      g.__VU = m.vu;
      g.__ITER = 0;
      script = await import(m.script);
      post({ type: "ready", options: JSON.parse(JSON.stringify(script.options ?? {})), exports: Object.keys(script) });
      break;
    }
    case "setup":
      run(() => (typeof script.setup === "function" ? script.setup() : undefined));
      break;
    case "teardown":
      run(() => (typeof script.teardown === "function" ? script.teardown(m.data) : undefined));
      break;
    case "iteration": {
      Object.assign(ctx, {
        scenario: m.scenario,
        scenarioTags: m.tags,
        iterationInScenario: m.iterationInScenario,
        iterationInTest: m.iterationInTest,
      });
      g.__ITER = m.iterationInScenario;
      g.__ENV = m.env;
      const fn = script[m.exec];
      if (typeof fn !== "function") return finish({ error: `the scenario exports no function ${m.exec}` });
      const started = performance.now();
      run(() => {
        try {
          return fn(m.data);
        } finally {
          ctx.samples.push({ metric: "iteration_duration", value: performance.now() - started, tags: { ...m.tags, scenario: m.scenario } });
          ctx.samples.push({ metric: "iterations", value: 1, tags: { ...m.tags, scenario: m.scenario } });
        }
      });
      break;
    }
  }
};
