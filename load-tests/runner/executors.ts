// k6's executors: how many iterations start, on which VU, and when. Closed models (VUs loop)
// and open models (arrivals at a rate; an arrival with no free VU is a dropped_iterations).
import { ms, type Scenario, stagesMs, stageTarget } from "./scenarios";
import type { VuHandle } from "./vu-handle";

export interface ScenarioRun {
  name: string;
  config: Scenario;
  /** A VU of this scenario's own, started on demand. */
  newVu(): Promise<VuHandle>;
  /** Runs one iteration on `vu` (which the executor has reserved). */
  iterate(vu: VuHandle): Promise<void>;
  aborted(): boolean;
  dropped(): void;
}

const sleep = (millis: number) => new Promise((r) => setTimeout(r, millis));

async function closedLoops(
  run: ScenarioRun,
  vus: number,
  keepGoing: (loop: number, done: number) => boolean,
  activeAt?: (loop: number) => boolean,
) {
  let done = 0;
  await Promise.all(
    Array.from({ length: vus }, async (_, loop) => {
      let vu: VuHandle | null = null;
      for (let i = 0; keepGoing(loop, i) && !run.aborted(); ) {
        if (activeAt && !activeAt(loop)) {
          await sleep(50);
          continue;
        }
        vu ??= await run.newVu();
        vu.busy = true;
        await run.iterate(vu);
        i++;
        done++;
      }
    }),
  );
  return done;
}

export async function execute(run: ScenarioRun): Promise<void> {
  const c = run.config;
  const started = Date.now();
  const elapsed = () => Date.now() - started;
  switch (c.executor) {
    case "per-vu-iterations": {
      const until = ms(c.maxDuration, 600_000);
      await closedLoops(run, c.vus ?? 1, (_, i) => i < (c.iterations ?? 1) && elapsed() < until);
      return;
    }
    case "shared-iterations": {
      const until = ms(c.maxDuration, 600_000);
      let claimed = 0;
      await closedLoops(run, c.vus ?? 1, () => claimed++ < (c.iterations ?? 1) && elapsed() < until);
      return;
    }
    case "constant-vus": {
      const until = ms(c.duration);
      await closedLoops(run, c.vus ?? 1, () => elapsed() < until);
      return;
    }
    case "ramping-vus": {
      const stages = c.stages ?? [];
      const until = stagesMs(stages);
      const peak = Math.max(c.startVUs ?? 1, ...stages.map((s) => s.target));
      await closedLoops(
        run,
        peak,
        () => elapsed() < until,
        (loop) => loop < Math.round(stageTarget(c.startVUs ?? 1, stages, elapsed())),
      );
      return;
    }
    case "constant-arrival-rate":
    case "ramping-arrival-rate":
      await arrivals(run, elapsed);
      return;
    default:
      throw new Error(`executor ${c.executor} is not implemented by the local runner`);
  }
}

async function arrivals(run: ScenarioRun, elapsed: () => number) {
  const c = run.config;
  const unit = ms(c.timeUnit, 1000);
  const ramping = c.executor === "ramping-arrival-rate";
  const stages = c.stages ?? [];
  const until = ramping ? stagesMs(stages) : ms(c.duration);
  const rateAt = (t: number) => (ramping ? stageTarget(c.startRate ?? 0, stages, t) : (c.rate ?? 1)) / unit;
  const pool: VuHandle[] = [];
  for (let i = 0; i < (c.preAllocatedVUs ?? 1); i++) pool.push(await run.newVu());
  const maxVUs = Math.max(c.maxVUs ?? pool.length, pool.length);
  let growing = 0;
  const inFlight = new Set<Promise<void>>();
  // Arrival k starts once the integral of the rate reaches k (the first at once), as long as
  // k is below the integral over the whole scenario: 5/s for 3 s is 15 arrivals, 200 ms apart.
  const integral = (from: number, to: number) => {
    let sum = 0;
    for (let t = from; t < to; t += 10) sum += rateAt(t) * Math.min(10, to - t);
    return sum;
  };
  const total = integral(0, until);
  let due = 0;
  let started = 0;
  let last = 0;
  while (!run.aborted()) {
    const now = Math.min(elapsed(), until);
    due += integral(last, now);
    last = now;
    while (started < total - 1e-9 && started <= due + 1e-9) {
      started++;
      const vu = pool.find((v) => !v.busy);
      if (!vu) {
        run.dropped();
        if (pool.length + growing < maxVUs) {
          growing++;
          void run.newVu().then((v) => {
            pool.push(v);
            growing--;
          });
        }
        continue;
      }
      vu.busy = true;
      const p = run.iterate(vu).finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    if (now >= until) break;
    await sleep(10);
  }
  await Promise.all(inFlight);
}
