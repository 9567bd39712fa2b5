import { sql } from "drizzle-orm";
import { bigserial, boolean, index, integer, jsonb, pgTable, primaryKey, text, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, userId } from "./columns";
import { users } from "./users";

export const auditLog = pgTable(
  "audit_log",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    // Whom the event concerns. Nullable: failed logins for unknown accounts are audited too,
    // and erasure anonymises (tcc_audit_anonymise in 0006_accounts.sql).
    userId: uuid("user_id"),
    // Who caused it: the user themselves, or an admin for admin actions.
    actorId: uuid("actor_id"),
    action: text("action").notNull(),
    targetType: text("target_type"),
    targetId: text("target_id"),
    ip: text("ip"),
    userAgent: text("user_agent"),
    requestId: text("request_id"),
    metadata: jsonb("metadata"),
    createdAt: createdAt(),
  },
  (t) => [
    index("audit_log_user_created_idx").on(t.userId, t.createdAt.desc()),
    index("audit_log_actor_created_idx").on(t.actorId, t.createdAt.desc()).where(sql`${t.actorId} IS NOT NULL`),
  ],
);

/**
 * Consent records (purpose, granted, when; a new row per change, so the history stays) for the
 * privacy work of issue 12 (GDPR consent and export). Nothing writes them yet.
 */
export const userConsent = pgTable(
  "user_consent",
  {
    id: id(),
    userId: userId().references(() => users.id, { onDelete: "cascade" }),
    purpose: text("purpose").notNull(),
    granted: boolean("granted").notNull(),
    createdAt: createdAt(),
  },
  (t) => [index("user_consent_user_purpose_idx").on(t.userId, t.purpose, t.createdAt.desc())],
);

// Idempotency-Key on create POSTs: the first response is stored and replayed for retries.
export const idempotencyKeys = pgTable(
  "idempotency_keys",
  {
    userId: userId(),
    key: text("key").notNull(),
    requestHash: text("request_hash").notNull(),
    status: integer("status").notNull(),
    body: jsonb("body").notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.key] })],
);
