import { rowsOf, schema, type Tx } from "@tcc/db";
import { and, desc, eq, lt, or, sql } from "drizzle-orm";
import type { Call, SystemCtx } from "../context";
import { invalidCursor } from "../db/keyset";
import { primaryDb } from "../db/transaction";

/** Where a request came from, as audit events record it. */
export interface ClientMeta {
  ip?: string;
  userAgent?: string;
  requestId?: string;
}

/**
 * One security event. `userId` is whom it concerns (their `GET /v1/me/audit` shows it);
 * `actorId` who caused it, when that is someone else (an admin); both default to the subject.
 * Action names are `domain.verb` (`auth.login`, `mfa.enabled`, `admin.user_suspended`, …).
 */
export interface AuditEvent extends ClientMeta {
  userId?: string | null;
  actorId?: string | null;
  action: string;
  targetType?: string;
  targetId?: string;
  metadata?: Record<string, unknown>;
}

/**
 * Appends a security event: `await audit({ ctx, input: { userId, action, ...clientMeta(c) } })`.
 * Inside a transaction it is part of it (the event exists only if the change does); outside,
 * a failed write is logged, never turned into a user-facing error.
 */
export async function audit({ ctx, input: e }: Call<AuditEvent, SystemCtx>): Promise<void> {
  const row = {
    userId: e.userId ?? null,
    actorId: e.actorId ?? e.userId ?? null,
    action: e.action,
    targetType: e.targetType,
    targetId: e.targetId,
    ip: e.ip,
    userAgent: e.userAgent?.slice(0, 300),
    requestId: e.requestId,
    metadata: e.metadata,
  };
  if (ctx.tx) {
    await primaryDb(ctx).insert(schema.auditLog).values(row);
    return;
  }
  try {
    await ctx.s.db.primary.insert(schema.auditLog).values(row);
  } catch (err) {
    ctx.s.logger.warn({ err, action: e.action }, "audit write failed");
  }
}

/**
 * For GDPR erasure: strips a user's personal data (their id as subject, actor or target, and
 * the IP, user agent and metadata of those rows) from the audit log, keeping the events. The
 * only change the append-only trigger lets through. Returns the number of rows anonymised.
 */
export async function anonymiseAuditForUser(tx: Tx, userId: string): Promise<number> {
  const [row] = rowsOf<{ n: number }>(await tx.execute(sql`select tcc_audit_anonymise(${userId}::uuid) as n`));
  return Number(row?.n ?? 0);
}

export interface AuditView {
  id: string;
  action: string;
  actorId: string | null;
  targetType: string | null;
  targetId: string | null;
  ip: string | null;
  userAgent: string | null;
  metadata: Record<string, unknown> | null;
  createdAt: string;
}

/** The caller's own events (as subject or actor), newest first, paged by id (ids only grow). */
export async function listAudit({ ctx, input }: Call<{ limit: number; cursor?: string }>) {
  const a = schema.auditLog;
  let before: number | null = null;
  if (input.cursor) {
    before = /^\d{1,18}$/.test(input.cursor) ? Number(input.cursor) : null;
    if (before === null) throw invalidCursor();
  }
  const mine = or(eq(a.userId, ctx.userId), eq(a.actorId, ctx.userId));
  // The primary: audit rows are written without a read-your-writes mark, and a user checking
  // what just happened to their account must see it.
  const rows = await ctx.s.db.primary
    .select()
    .from(a)
    .where(before === null ? mine : and(mine, lt(a.id, before)))
    .orderBy(desc(a.id))
    .limit(input.limit + 1);
  const page = rows.slice(0, input.limit);
  const items: AuditView[] = page.map((r) => ({
    id: String(r.id),
    action: r.action,
    actorId: r.actorId,
    targetType: r.targetType,
    targetId: r.targetId,
    ip: r.ip,
    userAgent: r.userAgent,
    metadata: (r.metadata as Record<string, unknown> | null) ?? null,
    createdAt: r.createdAt.toISOString(),
  }));
  return { items, nextCursor: rows.length > input.limit ? String(page[page.length - 1]?.id) : null };
}
