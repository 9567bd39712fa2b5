import { schema } from "@tcc/db";
import type { Services } from "../context";

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
export async function audit(s: Services, e: AuditEvent): Promise<void> {
  try {
    await s.db.primary.insert(schema.auditLog).values({ ...e, userId: e.userId ?? null });
  } catch (err) {
    s.logger.warn({ err, action: e.action }, "audit write failed");
  }
}
