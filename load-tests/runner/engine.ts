// Runs a k6 script the way `k6 run` does: init, setup(), every scenario in parallel (each from
// its startTime, with VUs of its own), teardown(), then the thresholds. The smoke flag shrinks
// every scenario (scenarios.ts) so `npm test` can run each script against a real core.
import { pathToFileURL } from "node:url";
import { execute, type ScenarioRun } from "./executors";
import { evaluateThresholds, MetricStore, type ThresholdResult } from "./metrics";
import { type K6Options, ms, type Scenario, scenariosOf, smoke } from "./scenarios";
import { VuHandle } from "./vu-handle";

export interface RunOptions {
  /** Path of the scenario file. */
  script: string;
  /** __ENV: what `k6 run -e NAME=value` passes. */
  env: Record<string, string>;
  smoke?: boolean;
  log?: (line: string) => void;
}

export interface RunResult {
  options: K6Options;
  scenarios: Record<string, Scenario>;
  thresholds: ThresholdResult[];
  /** Every threshold held (unevaluated ones count as held, as in k6) and nothing aborted. */
  passed: boolean;
  aborted: string | null;
  iterationErrors: string[];
  durationS: number;
  store: MetricStore;
}

export async function runScript(o: RunOptions): Promise<RunResult> {
  const log = o.log ?? (() => {});
  const store = new MetricStore();
  const errors: string[] = [];
  const vus: VuHandle[] = [];
  let nextVu = 0;
  let aborted: string | null = null;
  const scriptUrl = pathToFileURL(o.script).href;
  const newVu = async (env: Record<string, string>) => {
    const vu = new VuHandle(nextVu++, store, (m) => errors.push(m));
    vus.push(vu);
    await vu.init(scriptUrl, env);
    return vu;
  };

  const started = Date.now();
  try {
    // VU 0 reads the options and runs setup() and teardown(), like k6's own setup VU.
    const setupVu = await newVu(o.env);
    const ready = await setupVu.ready;
    const options = ready.options as K6Options;
    let scenarios = scenariosOf(options);
    if (o.smoke) scenarios = Object.fromEntries(Object.entries(scenarios).map(([n, s]) => [n, smoke(s)]));

    let data: unknown;
    if (ready.exports.includes("setup")) {
      const done = await withTimeout(setupVu.call({ type: "setup" }), ms(options.setupTimeout, 60_000), "setup()");
      aborted = done.abort ?? (done.error ? `setup() failed: ${done.error}` : null);
      data = done.result;
    }
    if (!aborted) {
      await Promise.all(
        Object.entries(scenarios).map(async ([name, config]) => {
          await Bun.sleep(ms(config.startTime));
          const env = { ...o.env, ...(config.env ?? {}) };
          let iterationInTest = 0;
          const perVu = new Map<VuHandle, number>();
          const run: ScenarioRun = {
            name,
            config,
            newVu: () => newVu(env),
            aborted: () => aborted !== null,
            dropped: () => store.add({ metric: "dropped_iterations", value: 1, tags: { scenario: name } }),
            async iterate(vu) {
              const n = perVu.get(vu) ?? 0;
              perVu.set(vu, n + 1);
              const done = await vu.call({
                type: "iteration",
                exec: config.exec ?? "default",
                data,
                scenario: name,
                tags: config.tags ?? {},
                iterationInScenario: n,
                iterationInTest: iterationInTest++,
                env,
              });
              if (done.abort) aborted ??= done.abort;
            },
          };
          log(`scenario ${name}: ${config.executor}`);
          await execute(run);
        }),
      );
    }
    if (ready.exports.includes("teardown")) {
      const done = await withTimeout(setupVu.call({ type: "teardown", data }), ms(options.teardownTimeout, 60_000), "teardown()");
      if (done.abort) aborted ??= done.abort;
    }
    const durationS = (Date.now() - started) / 1000;
    const thresholds = evaluateThresholds(store, options.thresholds ?? {}, durationS);
    return {
      options,
      scenarios,
      thresholds,
      passed: !aborted && thresholds.every((t) => t.ok),
      aborted,
      iterationErrors: errors,
      durationS,
      store,
    };
  } finally {
    for (const vu of vus) vu.terminate();
  }
}

function withTimeout<T>(p: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  return Promise.race([p, Bun.sleep(timeoutMs).then(() => Promise.reject(new Error(`${what} took longer than ${timeoutMs} ms`)))]);
}
