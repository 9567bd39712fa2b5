import type { AiPriority } from "@tcc/shared/contracts";
import { GatewayError } from "../errors";
import type { Metrics } from "../lib/metrics";
import type { NodePool } from "../nodes/pool";
import { FairQueue } from "./fair-queue";
import { HeldSlots, type Lease } from "./held-slots";
import type { SlotBackend } from "./slots";

export type { Lease };

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

const POLL_MS = 100;

/**
 * Grants node slots: the least-loaded healthy node serving the model, never more than its
 * maxConcurrent, and when every node is busy a bounded fair queue with deadlines.
 * A released slot wakes the queue here, and through the backend in every other replica;
 * a poll while anyone waits covers lost wake-ups and expired leases of crashed replicas.
 */
export class Scheduler {
  private readonly queue: FairQueue<Waiter>;
  private readonly held: HeldSlots;
  private pumping = false;
  private again = false;
  private poll: Timer | undefined;

  constructor(
    private readonly pool: NodePool,
    slots: SlotBackend,
    private readonly metrics: Metrics,
    opts: { queueMax: number; leaseMs: number },
  ) {
    this.queue = new FairQueue(opts.queueMax);
    slots.onRelease(() => this.wake());
    pool.onRecover(() => this.wake());
    this.held = new HeldSlots(slots, opts.leaseMs, () => this.wake());
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
        const lease = await this.held.take(node);
        if (lease) {
          this.metrics.queueWait.observe({ priority: req.priority }, (performance.now() - started) / 1000);
          return lease;
        }
      }
    }
    return this.enqueue(req, started);
  }

  close(): void {
    clearInterval(this.poll);
    for (const w of this.queue.heads()) this.finish(w, new GatewayError("no_healthy_node", "The gateway is shutting down"));
    this.held.close();
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
            const lease = await this.held.take(node);
            if (!lease) {
              full.add(node.url);
              continue;
            }
            if (w.done) {
              lease.release(); // it left (deadline, disconnect) while the slot was being taken
              break;
            }
            this.queue.served(w);
            this.finish(w, lease);
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
}
