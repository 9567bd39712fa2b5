import type { AiPriority } from "@tcc/core/contracts";
import { GatewayError } from "../errors";
import type { Metrics } from "../lib/metrics";
import type { NodePool, UpstreamNode } from "../nodes/pool";
import { FairQueue } from "./fair-queue";
import type { SlotBackend } from "./slots";

/** A node slot held for one upstream attempt. `release` is idempotent. */
export interface Lease {
  node: UpstreamNode;
  release(): void;
}

export interface SlotRequest {
  model: string;
  user: string;
  priority: AiPriority;
  /** Epoch ms after which the caller no longer wants an answer. */
  deadlineAt: number;
  signal?: AbortSignal;
  /** Nodes that already failed this request: used only when no other node can serve it. */
  avoid?: ReadonlySet<string>;
}

interface Waiter extends SlotRequest {
  enqueuedAt: number;
  resolve(lease: Lease): void;
  reject(err: Error): void;
  done: boolean;
  cleanup(): void;
}

interface Held {
  token: string;
  acquiredAt: number;
  idleSince: number;
}

/** With shared (Redis) slots, a freed slot is kept this long for the next local request. */
const IDLE_HOLD_MS = 50;
/** …and handed from request to request for at most this long, so other replicas get a turn. */
const MAX_HOLD_MS = 1_000;
const POLL_MS = 100;

/**
 * Grants node slots: the least-loaded healthy node serving the model, never more than its
 * maxConcurrent, and when every node is busy a bounded fair queue with deadlines.
 * A released slot wakes the queue here, and through the backend in every other replica;
 * a poll while anyone waits covers lost wake-ups and expired leases of crashed replicas.
 */
export class Scheduler {
  private readonly queue: FairQueue<Waiter>;
  private readonly idle = new Map<string, Held[]>();
  private readonly busy = new Map<string, Map<string, Held>>();
  private pumping = false;
  private again = false;
  private poll: Timer | undefined;
  private readonly sweeper: Timer;
  private readonly renewer: Timer;
  private seq = 0;
  private readonly prefix = `${process.pid}-${Math.random().toString(36).slice(2, 8)}-`;

  constructor(
    private readonly pool: NodePool,
    private readonly slots: SlotBackend,
    private readonly metrics: Metrics,
    opts: { queueMax: number; leaseMs: number },
  ) {
    this.queue = new FairQueue(opts.queueMax);
    slots.onRelease(() => this.wake());
    pool.onRecover(() => this.wake());
    // Idle held slots go back quickly; running requests' leases are renewed well before they end.
    this.sweeper = setInterval(() => this.sweepIdle(), IDLE_HOLD_MS);
    this.renewer = setInterval(() => this.renewBusy(), opts.leaseMs / 3);
    this.sweeper.unref?.();
    this.renewer.unref?.();
    metrics.sources.queueDepth = () => this.queue.depth();
  }

  get waiting(): number {
    return this.queue.size;
  }

  async acquire(req: SlotRequest): Promise<Lease> {
    const candidates = this.pool.candidates(req.model, req.avoid);
    if (!candidates.length)
      throw new GatewayError("no_healthy_node", `No healthy node serves ${req.model} right now`, { "retry-after": "5" });
    const started = performance.now();
    // Fast path: nobody is waiting, so taking a free slot now is fair.
    if (this.queue.size === 0) {
      for (const node of candidates) {
        const held = await this.take(node);
        if (held) {
          this.metrics.queueWait.observe({ priority: req.priority }, (performance.now() - started) / 1000);
          return this.lease(node, held);
        }
      }
    }
    return this.enqueue(req, started);
  }

  close(): void {
    clearInterval(this.sweeper);
    clearInterval(this.renewer);
    clearInterval(this.poll);
    for (const w of this.queue.heads()) this.finish(w, new GatewayError("no_healthy_node", "The gateway is shutting down"));
    for (const [node, list] of this.idle) for (const h of list.splice(0)) this.slots.release(node, h.token);
  }

  private enqueue(req: SlotRequest, started: number): Promise<Lease> {
    return new Promise<Lease>((resolve, reject) => {
      const waiter: Waiter = { ...req, enqueuedAt: started, resolve, reject, done: false, cleanup: () => {} };
      if (!this.queue.push(waiter)) {
        this.metrics.rejected.inc({ reason: "queue_full" });
        reject(new GatewayError("queue_full", "The AI queue is full; try again shortly", { "retry-after": "2" }));
        return;
      }
      const timer = setTimeout(
        () => {
          this.metrics.rejected.inc({ reason: "deadline_exceeded" });
          this.finish(waiter, new GatewayError("deadline_exceeded", "The request's deadline passed while it waited for a model slot"));
        },
        Math.max(0, req.deadlineAt - Date.now()),
      );
      const onAbort = () => this.finish(waiter, new GatewayError("deadline_exceeded", "The client went away while queued"));
      req.signal?.addEventListener("abort", onAbort, { once: true });
      waiter.cleanup = () => {
        clearTimeout(timer);
        req.signal?.removeEventListener("abort", onAbort);
      };
      this.poll ??= setInterval(() => this.wake(), POLL_MS);
      this.wake();
    });
  }

  private finish(w: Waiter, outcome: Error | Lease): void {
    if (w.done) return;
    w.done = true;
    w.cleanup();
    this.queue.remove(w);
    if (this.queue.size === 0 && this.poll) {
      clearInterval(this.poll);
      this.poll = undefined;
    }
    if (outcome instanceof Error) w.reject(outcome);
    else {
      this.metrics.queueWait.observe({ priority: w.priority }, (performance.now() - w.enqueuedAt) / 1000);
      w.resolve(outcome);
    }
  }

  private wake(): void {
    if (this.queue.size) void this.pump();
  }

  /** Serves waiters in fair order while slots are free; one pass at a time. */
  private async pump(): Promise<void> {
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    try {
      let served: boolean;
      do {
        this.again = false;
        served = false;
        const full = new Set<string>();
        for (const w of this.queue.heads()) {
          if (w.done) continue;
          for (const node of this.pool.candidates(w.model, w.avoid)) {
            if (full.has(node.url)) continue;
            const held = await this.take(node);
            if (!held) {
              full.add(node.url);
              continue;
            }
            if (w.done) {
              this.giveBack(node, held);
              break;
            }
            this.queue.served(w);
            this.finish(w, this.lease(node, held));
            served = true;
            break;
          }
        }
        // Another pass while it made progress: the snapshot held one request per user.
      } while ((this.again || served) && this.queue.size);
    } finally {
      this.pumping = false;
    }
  }

  /** A slot on the node: one this process still holds idle, or a new one from the backend. */
  private async take(node: UpstreamNode): Promise<Held | null> {
    const idle = this.idle.get(node.url);
    const reuse = idle?.pop();
    if (reuse) return reuse;
    const mine = (this.busy.get(node.url)?.size ?? 0) + (idle?.length ?? 0);
    if (mine >= node.maxConcurrent) return null; // decided locally: no round trip
    const token = this.prefix + ++this.seq;
    const now = performance.now();
    return (await this.slots.tryAcquire(node.url, node.maxConcurrent, token)) ? { token, acquiredAt: now, idleSince: 0 } : null;
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
      this.wake();
      return;
    }
    this.slots.release(node.url, held.token); // wakes waiters through onRelease
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
