import type { UpstreamNode } from "../nodes/pool";
import type { SlotBackend } from "./slots";

/** A node slot held for one upstream attempt. `release` is idempotent. */
export interface Lease {
  node: UpstreamNode;
  release(): void;
}

interface Held {
  token: string;
  acquiredAt: number;
  idleSince: number;
}

/** With shared (Redis) slots, a freed slot is kept this long for the next local request… */
const IDLE_HOLD_MS = 50;
/** …and handed from request to request for at most this long, so other replicas get a turn. */
const MAX_HOLD_MS = 1_000;

/**
 * The slots this process holds, per node: busy ones (a request runs on them; their leases are
 * renewed) and, with a shared backend, idle ones kept briefly so that steady traffic reuses a
 * slot without a Redis round trip per request.
 */
export class HeldSlots {
  private readonly idle = new Map<string, Held[]>();
  private readonly busy = new Map<string, Map<string, Held>>();
  private readonly sweeper: Timer;
  private readonly renewer: Timer;
  private seq = 0;
  private readonly prefix = `${process.pid}-${Math.random().toString(36).slice(2, 8)}-`;

  constructor(
    private readonly slots: SlotBackend,
    leaseMs: number,
    /** Called when a slot went idle here: a local waiter may take it. */
    private readonly onIdle: () => void,
  ) {
    this.sweeper = setInterval(() => this.sweepIdle(), IDLE_HOLD_MS);
    this.renewer = setInterval(() => this.renewBusy(), leaseMs / 3);
    this.sweeper.unref?.();
    this.renewer.unref?.();
  }

  /** A slot on the node as a lease: one held idle here, or a new one from the backend; null when full. */
  async take(node: UpstreamNode): Promise<Lease | null> {
    const idle = this.idle.get(node.url);
    const reuse = idle?.pop();
    if (reuse) return this.lease(node, reuse);
    const mine = (this.busy.get(node.url)?.size ?? 0) + (idle?.length ?? 0);
    if (mine >= node.maxConcurrent) return null; // decided locally: no round trip
    const token = this.prefix + ++this.seq;
    const acquiredAt = performance.now();
    if (!(await this.slots.tryAcquire(node.url, node.maxConcurrent, token))) return null;
    return this.lease(node, { token, acquiredAt, idleSince: 0 });
  }

  close(): void {
    clearInterval(this.sweeper);
    clearInterval(this.renewer);
    for (const [node, list] of this.idle) for (const h of list.splice(0)) this.slots.release(node, h.token);
  }

  private lease(node: UpstreamNode, held: Held): Lease {
    const busy = this.busy.get(node.url) ?? new Map<string, Held>();
    this.busy.set(node.url, busy);
    busy.set(held.token, held);
    node.active++;
    let released = false;
    return {
      node,
      release: () => {
        if (released) return;
        released = true;
        node.active--;
        busy.delete(held.token);
        this.giveBack(node, held);
      },
    };
  }

  private giveBack(node: UpstreamNode, held: Held): void {
    const now = performance.now();
    if (this.slots.shared && now - held.acquiredAt < MAX_HOLD_MS) {
      held.idleSince = now;
      const list = this.idle.get(node.url) ?? [];
      this.idle.set(node.url, list);
      list.push(held);
      this.onIdle();
      return;
    }
    this.slots.release(node.url, held.token); // wakes waiters through the backend's onRelease
  }

  /** Gives back slots idle too long, or handed on too long (other replicas' turn). */
  private sweepIdle(): void {
    const now = performance.now();
    for (const [node, list] of this.idle) {
      if (!list.length) continue;
      const keep: Held[] = [];
      for (const h of list) {
        if (now - h.idleSince < IDLE_HOLD_MS && now - h.acquiredAt < MAX_HOLD_MS) keep.push(h);
        else this.slots.release(node, h.token);
      }
      this.idle.set(node, keep);
    }
  }

  /** Extends the leases of running requests; idle slots are younger than a lease by construction. */
  private renewBusy(): void {
    const held = new Map<string, string[]>();
    for (const [node, busy] of this.busy) if (busy.size) held.set(node, [...busy.keys()]);
    if (held.size) this.slots.renew(held);
  }
}
