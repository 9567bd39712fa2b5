// Soak: the mixed traffic at a moderate rate for hours, to find what only time shows: memory
// growth, connection or queue leaks, cache churn, disk filling with WAL or logs. Watch core's
// RSS (process_resident_memory_bytes), the pools and the job queues on the Grafana dashboard
// while it runs; the thresholds hold the guide's targets over the whole run.
//
//   k6 run -e BASE_URL=https://staging.example.com -e DURATION=4h load-tests/scenarios/soak.ts
//
// It outlives access tokens (15 minutes), so it reads and writes with API keys made in setup().
// Knobs: SOAK_RATE (50/s), DURATION (2h), MAX_VUS (200), SEED_ENTRIES (500).
import type { Options } from "k6/options";
import { envNumber } from "../lib/api.ts";
import { apiKey, GUIDE_THRESHOLDS, type MixData, mixedRequest, setupMix } from "../lib/mix.ts";

export const options: Options = {
  scenarios: {
    soak: {
      executor: "constant-arrival-rate",
      rate: envNumber("SOAK_RATE", 50),
      timeUnit: "1s",
      duration: __ENV.DURATION || "2h",
      preAllocatedVUs: 20,
      maxVUs: envNumber("MAX_VUS", 200),
    },
  },
  thresholds: GUIDE_THRESHOLDS,
  summaryTrendStats: ["avg", "med", "p(95)", "p(99)", "max"],
  setupTimeout: "5m",
};

export function setup(): MixData {
  const data = setupMix(envNumber("SEED_ENTRIES", 500));
  return {
    reader: { token: apiKey(data.reader.token, ["entries:read", "search:read"]), ids: data.reader.ids },
    writer: { token: apiKey(data.writer.token, ["entries:write", "entries:read"]) },
  };
}

export default function (data: MixData) {
  mixedRequest(data, __ITER);
}
