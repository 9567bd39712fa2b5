import { DurableObject } from "cloudflare:workers";
import type { Bindings, RouteClass } from "./env";

export interface LimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the window ends and the budget is whole again. */
  resetS: number;
}

interface Window {
  start: number;
  end: number;
  count: number;
}

/**
 * One object per rate-limit key (a user, or a client address): a fixed window per route class
 * that starts with the key's first request. Strongly consistent because one object owns the
 * key. Counting happens in memory; each change is written through to the object's SQLite
 * storage, so an evicted object comes back with its counts, and an alarm clears ended windows
 * so a key that went quiet leaves nothing behind.
 */
export class RateLimiter extends DurableObject<Bindings> {
  private windows = new Map<string, Window>();

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env);
    const sql = ctx.storage.sql;
    sql.exec(
      "CREATE TABLE IF NOT EXISTS windows (cls TEXT PRIMARY KEY, start INTEGER NOT NULL, end INTEGER NOT NULL, count INTEGER NOT NULL)",
    );
    for (const w of sql.exec<{ cls: string; start: number; end: number; count: number }>("SELECT cls, start, end, count FROM windows")) {
      this.windows.set(w.cls, { start: w.start, end: w.end, count: w.count });
    }
  }

  async hit(cls: RouteClass, limit: number, windowS: number): Promise<LimitDecision> {
    const now = Date.now();
    let w = this.windows.get(cls);
    if (!w || now >= w.end) {
      w = { start: now, end: now + windowS * 1000, count: 0 };
      this.windows.set(cls, w);
      const alarm = await this.ctx.storage.getAlarm();
      if (alarm === null || alarm > w.end) await this.ctx.storage.setAlarm(w.end);
    }
    const resetS = Math.max(1, Math.ceil((w.end - now) / 1000));
    if (w.count >= limit) return { allowed: false, limit, remaining: 0, resetS };
    w.count++;
    this.ctx.storage.sql.exec("INSERT OR REPLACE INTO windows (cls, start, end, count) VALUES (?, ?, ?, ?)", cls, w.start, w.end, w.count);
    return { allowed: true, limit, remaining: limit - w.count, resetS };
  }

  override async alarm() {
    const now = Date.now();
    this.ctx.storage.sql.exec("DELETE FROM windows WHERE end <= ?", now);
    let next = Number.POSITIVE_INFINITY;
    for (const [cls, w] of this.windows) {
      if (w.end <= now) this.windows.delete(cls);
      else next = Math.min(next, w.end);
    }
    if (Number.isFinite(next)) await this.ctx.storage.setAlarm(next);
  }
}
