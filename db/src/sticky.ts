/**
 * Remembers which users wrote recently so their reads go to the primary until replicas
 * have surely caught up. Kept per process: see README "read-your-writes" for the multi-pod note.
 */
export class RecentWriters {
  private readonly until = new Map<string, number>();

  constructor(
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  mark(userId: string): void {
    this.until.set(userId, this.now() + this.windowMs);
    // Bounded memory: sweep expired marks once the map grows.
    if (this.until.size > 10_000) this.sweep();
  }

  isRecent(userId: string): boolean {
    const t = this.until.get(userId);
    if (t === undefined) return false;
    if (t > this.now()) return true;
    this.until.delete(userId);
    return false;
  }

  private sweep(): void {
    const now = this.now();
    for (const [k, t] of this.until) if (t <= now) this.until.delete(k);
  }
}
