/**
 * Where node slots are counted. In memory a process counts its own; with Redis every gateway
 * replica counts against one sorted set per node, so a node's maxConcurrent holds across
 * replicas.
 */
export interface SlotBackend {
  /** True when other processes share the count (then holding an idle slot briefly pays off). */
  readonly shared: boolean;
  /** Takes one of the node's `limit` slots under `token`; false when all are taken. */
  tryAcquire(node: string, limit: number, token: string): Promise<boolean>;
  /** Gives the slot back (fire and forget) and wakes waiters in every replica. */
  release(node: string, token: string): void;
  /** Extends the lease of slots still held, so only a crashed process's slots expire. */
  renew(held: Map<string, string[]>): void;
  /** Called when any replica released a slot of `node`. */
  onRelease(listener: (node: string) => void): void;
  close(): Promise<void>;
}

/** The in-process count: one gateway, no Redis. */
export class MemorySlots implements SlotBackend {
  readonly shared = false;
  private readonly used = new Map<string, number>();
  private listener: ((node: string) => void) | undefined;

  async tryAcquire(node: string, limit: number): Promise<boolean> {
    const n = this.used.get(node) ?? 0;
    if (n >= limit) return false;
    this.used.set(node, n + 1);
    return true;
  }

  release(node: string): void {
    this.used.set(node, Math.max(0, (this.used.get(node) ?? 0) - 1));
    this.listener?.(node);
  }

  renew(): void {}

  onRelease(listener: (node: string) => void): void {
    this.listener = listener;
  }

  async close(): Promise<void> {}
}
