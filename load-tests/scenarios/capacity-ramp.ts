// Capacity: the request rate climbs steadily from START_RATE to PEAK_RATE, holds, and falls
// back, with the mixed traffic of lib/mix.ts. Read the result as "the rate at which p95 crossed
// 2 s or errors crossed 1%" (the guide's targets): plot http_req_duration against the rate, or
// watch the Grafana dashboard's API panels during the run. dropped_iterations rising means the
// target (or the load generator) ran out of capacity before the rate was reached.
//
//   k6 run -e BASE_URL=https://staging.example.com -e PEAK_RATE=800 load-tests/scenarios/capacity-ramp.ts
//
// Knobs: START_RATE (10/s), PEAK_RATE (300/s), RAMP (10m), HOLD (2m), MAX_VUS (500),
// SEED_ENTRIES (200). The target's rate limits must allow it (load-tests/README.md).
import type { Options } from "k6/options";
import { envNumber } from "../lib/api.ts";
import { GUIDE_THRESHOLDS, type MixData, mixedRequest, setupMix } from "../lib/mix.ts";

const PEAK = envNumber("PEAK_RATE", 300);
const MAX_VUS = envNumber("MAX_VUS", 500);

export const options: Options = {
  scenarios: {
    ramp: {
      executor: "ramping-arrival-rate",
      startRate: envNumber("START_RATE", 10),
      timeUnit: "1s",
      preAllocatedVUs: Math.min(50, MAX_VUS),
      maxVUs: MAX_VUS,
      stages: [
        { duration: __ENV.RAMP || "10m", target: PEAK },
        { duration: __ENV.HOLD || "2m", target: PEAK },
        { duration: "30s", target: 0 },
      ],
    },
  },
  thresholds: GUIDE_THRESHOLDS,
  summaryTrendStats: ["avg", "med", "p(95)", "p(99)", "max"],
  setupTimeout: "5m",
};

export function setup(): MixData {
  return setupMix(envNumber("SEED_ENTRIES", 200));
}

export default function (data: MixData) {
  mixedRequest(data, __ITER);
}
