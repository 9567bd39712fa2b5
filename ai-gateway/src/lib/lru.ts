/**
 * A least-recently-used map bounded by total size (caller-given units, here bytes) and by age.
 * Map iteration order is insertion order, so re-inserting on access keeps the least recently
 * used entry first. (The same shape as core's; the gateway may not import core's internals.)
 */
export class SizedLru<V> {
  private readonly map = new Map<string, { value: V; size: number; expiresAt: number }>();
  private total = 0;

  constructor(
    private readonly maxSize: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(key: string): V | undefined {
    const slot = this.map.get(key);
    if (!slot) return undefined;
    this.map.delete(key);
    if (slot.expiresAt <= this.now()) {
      this.total -= slot.size;
      return undefined;
    }
    this.map.set(key, slot);
    return slot.value;
  }

  set(key: string, value: V, size: number, ttlMs: number): void {
    if (size > this.maxSize / 4) return; // one huge value must not flush everything else
    const old = this.map.get(key);
    if (old) {
      this.total -= old.size;
      this.map.delete(key);
    }
    this.map.set(key, { value, size, expiresAt: this.now() + ttlMs });
    this.total += size;
    for (const [k, slot] of this.map) {
      if (this.total <= this.maxSize) break;
      this.map.delete(k);
      this.total -= slot.size;
    }
  }
}
