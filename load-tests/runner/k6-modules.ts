// The k6 modules the scenarios import, implemented for a runner VU: `k6` (check, sleep, group,
// fail), `k6/http` (request verbs, batch, expectedStatuses), `k6/execution`, `k6/metrics` and
// `k6/encoding`. Behaviour follows k6's documentation where the scenarios depend on it:
// blocking calls, header names canonicalised as Go does, checks counted in `checks`.
import type { MetricType, Sample, Tags } from "./metrics";
import type { WireRequest, WireResponse } from "./protocol";

export interface VuContext {
  vu: number;
  scenario: string;
  scenarioTags: Tags;
  iterationInScenario: number;
  iterationInTest: number;
  samples: Sample[];
  metricTypes: Record<string, MetricType>;
  /** Sends requests to the main thread and blocks until they are answered. */
  http(requests: WireRequest[]): WireResponse[];
}

export class AbortTest extends Error {}

/** Go's textproto.CanonicalMIMEHeaderKey: ratelimit-limit → Ratelimit-Limit. */
export const canonical = (name: string) => name.toLowerCase().replace(/(^|-)([a-z])/g, (_, dash, c) => dash + c.toUpperCase());

type Params = {
  headers?: Record<string, string>;
  tags?: Tags;
  responseCallback?: { expected: WireRequest["expected"] };
  timeout?: string | number;
};
type Body = string | ArrayBuffer | Uint8Array | Record<string, unknown> | null | undefined;

function durationMs(v: string | number | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v === "number") return v;
  const m = v.match(/^(\d+(?:\.\d+)?)(ms|s|m|h)$/);
  if (!m) throw new Error(`bad duration ${v}`);
  return Number(m[1]) * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const)[m[2] as "ms"];
}

class Response {
  readonly status: number;
  readonly body: string | null;
  readonly headers: Record<string, string>;
  readonly url: string;
  readonly error: string;
  readonly error_code: number;
  readonly timings: { duration: number };
  readonly request: { method: string; url: string; headers: Record<string, string>; body: string };

  constructor(req: WireRequest, res: WireResponse) {
    this.status = res.status;
    this.body = res.body;
    this.headers = Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [canonical(k), v]));
    this.url = res.url;
    this.error = res.error;
    this.error_code = res.errorCode;
    this.timings = { duration: res.durationMs };
    this.request = { method: req.method, url: req.url, headers: req.headers, body: typeof req.body === "string" ? req.body : "" };
  }

  json(selector?: string): unknown {
    const value = JSON.parse(this.body ?? "");
    if (!selector) return value;
    return selector.split(".").reduce<unknown>((v, key) => (v == null ? undefined : (v as Record<string, unknown>)[key]), value);
  }
}

export function makeModules(ctx: VuContext) {
  function toWire(method: string, url: string, body: Body, params: Params = {}): WireRequest {
    const headers: Record<string, string> = { ...(params.headers ?? {}) };
    let payload: WireRequest["body"] = null;
    if (typeof body === "string") payload = body;
    else if (body instanceof ArrayBuffer) payload = new Uint8Array(body);
    else if (body instanceof Uint8Array) payload = body;
    else if (body && typeof body === "object") {
      // k6 sends an object body as a form.
      payload = new URLSearchParams(body as Record<string, string>).toString();
      headers["content-type"] ??= "application/x-www-form-urlencoded";
    }
    const tags = { ...ctx.scenarioTags, scenario: ctx.scenario, ...(params.tags ?? {}) };
    return {
      method,
      url,
      body: payload,
      headers,
      tags,
      expected: params.responseCallback?.expected ?? null,
      timeoutMs: durationMs(params.timeout, 60_000),
    };
  }
  const send = (reqs: WireRequest[]) => ctx.http(reqs).map((res, i) => new Response(reqs[i] as WireRequest, res));
  const one = (method: string) => (url: string, body?: Body, params?: Params) => send([toWire(method, url, body, params)])[0] as Response;

  const http = {
    get: (url: string, params?: Params) => send([toWire("GET", url, null, params)])[0] as Response,
    head: (url: string, params?: Params) => send([toWire("HEAD", url, null, params)])[0] as Response,
    post: one("POST"),
    put: one("PUT"),
    patch: one("PATCH"),
    del: one("DELETE"),
    options: one("OPTIONS"),
    request: (method: string, url: string, body?: Body, params?: Params) => send([toWire(method, url, body, params)])[0] as Response,
    batch(requests: unknown[]) {
      const wire = requests.map((r) => {
        if (typeof r === "string") return toWire("GET", r, null);
        if (Array.isArray(r)) return toWire(r[0], r[1], r[2], r[3]);
        const o = r as { method?: string; url: string; body?: Body; params?: Params };
        return toWire(o.method ?? "GET", o.url, o.body, o.params);
      });
      return send(wire);
    },
    expectedStatuses: (...expected: (number | { min: number; max: number })[]) => ({ expected }),
    setResponseCallback() {
      throw new Error("http.setResponseCallback is not implemented by the local runner; pass responseCallback per request");
    },
  };

  const addSample = (metric: string, value: number, tags?: Tags) =>
    ctx.samples.push({ metric, value, tags: { ...ctx.scenarioTags, scenario: ctx.scenario, ...(tags ?? {}) } });

  const k6 = {
    check(value: unknown, checks: Record<string, (v: unknown) => boolean>, tags?: Tags) {
      let all = true;
      for (const [name, fn] of Object.entries(checks)) {
        let ok = false;
        try {
          ok = !!fn(value);
        } catch {}
        addSample("checks", ok ? 1 : 0, { ...tags, check: name });
        all &&= ok;
      }
      return all;
    },
    sleep(seconds: number) {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Math.max(0, seconds * 1000));
    },
    group<T>(_name: string, fn: () => T): T {
      return fn();
    },
    fail(message?: string): never {
      throw new Error(message ?? "fail() called");
    },
  };

  function metricClass(type: MetricType) {
    return class {
      constructor(readonly name: string) {
        ctx.metricTypes[name] = type;
      }
      add(value: number | boolean, tags?: Tags) {
        addSample(this.name, Number(value), tags);
      }
    };
  }
  const metrics = { Counter: metricClass("counter"), Rate: metricClass("rate"), Trend: metricClass("trend"), Gauge: metricClass("gauge") };

  const execution = {
    test: {
      abort(reason?: string): never {
        throw new AbortTest(reason ?? "test aborted");
      },
    },
    scenario: {
      get name() {
        return ctx.scenario;
      },
      get iterationInTest() {
        return ctx.iterationInTest;
      },
      get iterationInInstance() {
        return ctx.iterationInTest;
      },
    },
    vu: {
      get idInTest() {
        return ctx.vu;
      },
      get idInInstance() {
        return ctx.vu;
      },
      get iterationInScenario() {
        return ctx.iterationInScenario;
      },
    },
  };

  const encoding = {
    b64encode: (data: string | ArrayBuffer) => Buffer.from(typeof data === "string" ? data : new Uint8Array(data)).toString("base64"),
    b64decode: (data: string, _encoding?: string, format?: "s") => {
      const bytes = Buffer.from(data, "base64");
      return format === "s" ? bytes.toString("utf8") : bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    },
  };

  return { k6, "k6/http": http, "k6/metrics": metrics, "k6/execution": execution, "k6/encoding": encoding, "k6/options": {} };
}
