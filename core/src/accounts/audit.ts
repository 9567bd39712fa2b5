import { schema } from "@tcc/db";
import type { Call, SystemCtx } from "../context";

/** Where a request came from, as audit events record it. */
export interface ClientMeta {
  ip?: string;
  userAgent?: string;
  requestId?: string;
}

export interface AuditEvent {
  userId?: string | null;
  action: string;
  targetType?: string;
  targetId?: string;
  ip?: string;
  requestId?: string;
  metadata?: Record<string, unknown>;
}

/** Security-relevant events. An audit failure is logged, never turned into a user-facing error. */
export async function audit({ ctx: { s }, input: e }: Call<AuditEvent, SystemCtx>): Promise<void> {
  try {
    await s.db.primary.insert(schema.auditLog).values({ ...e, userId: e.userId ?? null });
  } catch (err) {
    s.logger.warn({ err, action: e.action }, "audit write failed");
  }
}
