import { sql } from "drizzle-orm";
import { bigint, check, index, pgEnum, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, updatedAt, userId } from "./columns";
import { users } from "./users";

export const shareResource = pgEnum("share_resource", ["entry", "topic", "gallery"]);
export const sharePermission = pgEnum("share_permission", ["read", "edit"]);

/**
 * A grant by an owner (`user_id`) to another user of read or edit on one entry, one topic (every
 * entry in it) or one gallery. Removed with either account.
 */
export const shares = pgTable(
  "shares",
  {
    id: id(),
    userId: userId().references(() => users.id, { onDelete: "cascade" }),
    granteeId: uuid("grantee_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    resourceType: shareResource("resource_type").notNull(),
    resourceId: uuid("resource_id").notNull(),
    permission: sharePermission("permission").notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("shares_owner_resource_grantee_uq").on(t.userId, t.resourceType, t.resourceId, t.granteeId),
    index("shares_grantee_resource_idx").on(t.granteeId, t.resourceType, t.resourceId),
    check("shares_not_self", sql`${t.userId} <> ${t.granteeId}`),
  ],
);

/** GDPR export archives: one row per export asked for; the archive's bytes are in object storage. */
export const dataExports = pgTable(
  "data_exports",
  {
    id: id(),
    userId: userId().references(() => users.id, { onDelete: "cascade" }),
    status: text("status").$type<"queued" | "running" | "ready" | "failed">().notNull().default("queued"),
    storageKey: text("storage_key"),
    size: bigint("size", { mode: "number" }),
    sha256: text("sha256"),
    error: text("error"),
    createdAt: createdAt(),
    finishedAt: timestamp("finished_at", { withTimezone: true, mode: "date" }),
    expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [index("data_exports_user_created_idx").on(t.userId, t.createdAt.desc())],
);
