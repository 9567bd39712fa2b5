// Messages between the runner (main thread) and its virtual users (one Worker each).
// HTTP is the one synchronous call k6 scripts make: the VU posts its requests and blocks on a
// SharedArrayBuffer (Atomics.wait) while the main thread fetches them and writes the answers
// back, so scenarios written for k6's blocking API run unchanged over fetch.
import type { Sample } from "./metrics";

export interface WireRequest {
  method: string;
  url: string;
  body: string | Uint8Array | null;
  headers: Record<string, string>;
  tags: Record<string, string>;
  /** Statuses counted as expected (http_req_failed = 0); default 200-399. */
  expected: (number | { min: number; max: number })[] | null;
  timeoutMs: number;
}

export interface WireResponse {
  status: number;
  url: string;
  body: string | null;
  headers: Record<string, string>;
  durationMs: number;
  error: string;
  errorCode: number;
}

export type ToVu =
  | { type: "init"; script: string; env: Record<string, string>; vu: number; shared: SharedArrayBuffer }
  | { type: "setup" }
  | {
      type: "iteration";
      exec: string;
      data: unknown;
      scenario: string;
      tags: Record<string, string>;
      iterationInScenario: number;
      iterationInTest: number;
      env: Record<string, string>;
    }
  | { type: "teardown"; data: unknown };

export type FromVu =
  | { type: "ready"; options: unknown; exports: string[] }
  | { type: "http"; requests: WireRequest[] }
  | { type: "done"; samples: Sample[]; metricTypes: Record<string, string>; result?: unknown; error?: string; abort?: string };

/** Shared buffer layout: [0] state (0 waiting, 1 answered), [1] byte length, then the JSON answer. */
export const HEADER_BYTES = 8;
export const SHARED_BYTES = 32 * 1024 * 1024;
