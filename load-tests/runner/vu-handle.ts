// The runner's side of one virtual user: starts its Worker, answers its HTTP requests with
// fetch (recording k6's http_* metrics), and turns its messages into promises.
import type { MetricStore, MetricType } from "./metrics";
import { type FromVu, HEADER_BYTES, SHARED_BYTES, type ToVu, type WireRequest, type WireResponse } from "./protocol";

type Done = Extract<FromVu, { type: "done" }>;

function expected(req: WireRequest, status: number): boolean {
  if (!req.expected) return status >= 200 && status < 400;
  return req.expected.some((e) => (typeof e === "number" ? e === status : status >= e.min && status <= e.max));
}

async function perform(req: WireRequest, store: MetricStore): Promise<WireResponse> {
  const started = performance.now();
  let res: WireResponse;
  try {
    const r = await fetch(req.url, {
      method: req.method,
      headers: req.headers,
      body: req.body,
      redirect: "follow",
      signal: AbortSignal.timeout(req.timeoutMs),
    });
    const body = req.method === "HEAD" ? "" : await r.text();
    res = {
      status: r.status,
      url: r.url,
      body,
      headers: Object.fromEntries(r.headers),
      durationMs: performance.now() - started,
      error: "",
      errorCode: 0,
    };
  } catch (err) {
    // k6 answers a failed request with status 0 and an error, never an exception.
    res = {
      status: 0,
      url: req.url,
      body: null,
      headers: {},
      durationMs: performance.now() - started,
      error: String(err),
      errorCode: 1000,
    };
  }
  const ok = expected(req, res.status);
  const tags = { name: req.url, ...req.tags, method: req.method, status: String(res.status), expected_response: String(ok) };
  store.add({ metric: "http_reqs", value: 1, tags });
  store.add({ metric: "http_req_failed", value: ok ? 0 : 1, tags });
  // k6 records durations of expected responses only in the {expected_response:true} sub-metric;
  // thresholds on http_req_duration see every request, as here.
  store.add({ metric: "http_req_duration", value: res.durationMs, tags });
  store.add({ metric: "data_received", value: res.body?.length ?? 0, tags });
  return res;
}

export class VuHandle {
  private readonly worker: Worker;
  private readonly shared = new SharedArrayBuffer(HEADER_BYTES + SHARED_BYTES);
  private pending: ((m: Done) => void) | null = null;
  /** The script's options and export names, once its module has loaded in this VU. */
  ready!: Promise<{ options: unknown; exports: string[] }>;
  busy = false;

  constructor(
    readonly id: number,
    private readonly store: MetricStore,
    private readonly onError: (message: string) => void,
  ) {
    this.worker = new Worker(new URL("./vu.ts", import.meta.url).href);
  }

  init(script: string, env: Record<string, string>) {
    this.ready = new Promise((resolve) => {
      this.worker.onmessage = (e: MessageEvent<FromVu>) => {
        const m = e.data;
        if (m.type === "ready") resolve(m);
        else if (m.type === "http") void this.answer(m.requests);
        else if (m.type === "done") {
          const done = this.pending;
          this.pending = null;
          done?.(m);
        }
      };
      this.worker.onerror = (e) => this.onError(`VU ${this.id}: ${e.message}`);
    });
    this.send({ type: "init", script, env, vu: this.id, shared: this.shared });
    return this.ready;
  }

  /** Runs one message to completion (setup, an iteration, teardown) and folds its samples in. */
  async call(m: Exclude<ToVu, { type: "init" }>): Promise<Done> {
    await this.ready;
    this.busy = true;
    const done = await new Promise<Done>((resolve) => {
      this.pending = resolve;
      this.send(m);
    });
    this.busy = false;
    for (const [name, type] of Object.entries(done.metricTypes)) this.store.define(name, type as MetricType);
    for (const s of done.samples) this.store.add(s);
    if (done.error) this.onError(`VU ${this.id}: ${done.error}`);
    return done;
  }

  terminate() {
    this.worker.terminate();
  }

  private send(m: ToVu) {
    this.worker.postMessage(m);
  }

  private async answer(requests: WireRequest[]) {
    const responses = await Promise.all(requests.map((r) => perform(r, this.store)));
    let bytes = new TextEncoder().encode(JSON.stringify(responses));
    if (bytes.length > SHARED_BYTES) {
      const tooBig = responses.map((r) => ({ ...r, body: null, error: "response larger than the runner's buffer", errorCode: 1001 }));
      bytes = new TextEncoder().encode(JSON.stringify(tooBig));
    }
    const signal = new Int32Array(this.shared, 0, 2);
    new Uint8Array(this.shared, HEADER_BYTES).set(bytes);
    Atomics.store(signal, 1, bytes.length);
    Atomics.store(signal, 0, 1);
    Atomics.notify(signal, 0);
  }
}
