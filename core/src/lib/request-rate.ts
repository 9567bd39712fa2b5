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

/**
 * Background work that nobody waits on (an entry's vectors) yields to requests: while this
 * process serves more than `aboveRps` requests per second, wait, for up to `maxWaitMs`, then run
 * anyway, so a sustained load slows such work down instead of stopping it. Resolves with the
 * milliseconds waited. `aboveRps` 0 never waits.
 */
export async function yieldToRequests(
  rate: RequestRate,
  opts: { aboveRps: number; maxWaitMs: number; checkEveryMs?: number },
  sleep: (ms: number) => Promise<unknown> = Bun.sleep,
): Promise<number> {
  const { aboveRps, maxWaitMs, checkEveryMs = 50 } = opts;
  let waited = 0;
  while (aboveRps > 0 && waited < maxWaitMs && rate.perSecond() > aboveRps) {
    const step = Math.min(checkEveryMs, maxWaitMs - waited);
    await sleep(step);
    waited += step;
  }
  return waited;
}
