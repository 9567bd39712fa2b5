import type { KV } from "./kv";

/**
 * How many requests per second this process is serving, from two buckets of `windowMs`: the last
 * full one, or the current one once it holds more (a burst shows within its first bucket, and a
 * stop within two). One counter bump per request; no timer.
 */
export class RequestRate {
  private bucketStart = 0;
  private current = 0;
  private previous = 0;

  constructor(
    private readonly now: () => number = () => performance.now(),
    private readonly windowMs = 250,
  ) {}

  /** A request began. */
  note(): void {
    this.roll();
    this.current++;
  }

  perSecond(): number {
    this.roll();
    return (Math.max(this.previous, this.current) * 1000) / this.windowMs;
  }

  private roll(): void {
    const now = this.now();
    const elapsed = now - this.bucketStart;
    if (elapsed < this.windowMs) return;
    // A gap of more than one bucket means the bucket before this one was empty.
    this.previous = elapsed < 2 * this.windowMs ? this.current : 0;
    this.current = 0;
    this.bucketStart = now - (elapsed % this.windowMs);
  }
}

/** How often at most a busy process renews its mark in the shared store. */
const MARK_EVERY_MS = 250;

/**
 * Whether requests are pressing, in this process or another: a process serving more than
 * `aboveRps` requests per second marks itself busy in the store its job queues share (Redis, so
 * job workers of other processes see it; renewed at most every 250 ms, kept for a second). The
 * mark is best effort: a store that fails is a process that looks quiet. `aboveRps` 0: never busy.
 */
export class RequestLoad {
  private readonly rate: RequestRate;
  private markedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly kv: KV,
    private readonly busyKey: string,
    private readonly aboveRps: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.rate = new RequestRate(now);
  }

  /** A request began. */
  note(): void {
    this.rate.note();
    if (this.aboveRps === 0) return;
    const now = this.now();
    if (now - this.markedAt < MARK_EVERY_MS || this.rate.perSecond() <= this.aboveRps) return;
    this.markedAt = now;
    this.kv.set(this.busyKey, "1", 1).catch(() => {});
  }

  /** True while this process, or another sharing the store, served more than `aboveRps` in the last second. */
  async busy(): Promise<boolean> {
    if (this.aboveRps === 0) return false;
    if (this.rate.perSecond() > this.aboveRps) return true;
    return (await this.kv.get(this.busyKey).catch(() => null)) !== null;
  }
}

/**
 * Background work that nobody waits on (an entry's vectors) yields to requests: while any process
 * is busy (RequestLoad), wait, for up to `maxWaitMs`, then run anyway, so a sustained load slows
 * such work down instead of stopping it. Resolves with the milliseconds waited.
 */
export async function yieldToRequests(
  load: Pick<RequestLoad, "busy">,
  opts: { maxWaitMs: number; checkEveryMs?: number },
  sleep: (ms: number) => Promise<unknown> = Bun.sleep,
): Promise<number> {
  const { maxWaitMs, checkEveryMs = 50 } = opts;
  let waited = 0;
  while (waited < maxWaitMs && (await load.busy())) {
    const step = Math.min(checkEveryMs, maxWaitMs - waited);
    await sleep(step);
    waited += step;
  }
  return waited;
}
