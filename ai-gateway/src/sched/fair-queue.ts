import type { AiPriority } from "@tcc/shared/contracts";

export interface Queued {
  user: string;
  priority: AiPriority;
}

/**
 * Waiting requests, bounded in total. Interactive requests come before batch ones; within a
 * priority, users take turns (round robin): a Map keeps insertion order, and a user who was
 * just served is moved to its end, so a heavy user's hundredth request waits behind a light
 * user's first. Within one user, first come first served.
 */
export class FairQueue<T extends Queued> {
  private readonly classes: Record<AiPriority, Map<string, T[]>> = { interactive: new Map(), batch: new Map() };
  private count = 0;

  constructor(readonly max: number) {}

  get size(): number {
    return this.count;
  }

  depth(): Record<AiPriority, number> {
    const n = (m: Map<string, T[]>) => [...m.values()].reduce((a, q) => a + q.length, 0);
    return { interactive: n(this.classes.interactive), batch: n(this.classes.batch) };
  }

  /** False when the queue is full. */
  push(item: T): boolean {
    if (this.count >= this.max) return false;
    const users = this.classes[item.priority];
    const q = users.get(item.user);
    if (q) q.push(item);
    else users.set(item.user, [item]);
    this.count++;
    return true;
  }

  remove(item: T): boolean {
    const users = this.classes[item.priority];
    const q = users.get(item.user);
    const i = q ? q.indexOf(item) : -1;
    if (!q || i < 0) return false;
    q.splice(i, 1);
    if (!q.length) users.delete(item.user);
    this.count--;
    return true;
  }

  /** Each user's oldest request, in the order they should be served. */
  heads(): T[] {
    const out: T[] = [];
    for (const users of [this.classes.interactive, this.classes.batch]) for (const q of users.values()) if (q[0]) out.push(q[0]);
    return out;
  }

  /** Call after serving a user's request: the user goes to the back of its class's turn order. */
  served(item: T): void {
    const users = this.classes[item.priority];
    const q = users.get(item.user);
    if (!q) return;
    users.delete(item.user);
    users.set(item.user, q);
  }
}
