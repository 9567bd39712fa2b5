import { sql } from "drizzle-orm";
import { index, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, deletedAt, id, updatedAt, userId } from "./columns";

export const users = pgTable(
  "users",
  {
    id: id(),
    email: text("email").notNull(),
    passwordHash: text("password_hash").notNull(),
    displayName: text("display_name"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    deletedAt: deletedAt(),
  },
  (t) => [uniqueIndex("users_email_lower_uq").on(sql`lower(${t.email})`)],
);

// Opaque refresh tokens, stored only as SHA-256. A family is one login; rotating a token
// marks it replaced, and presenting a replaced token again revokes the whole family.
export const refreshTokens = pgTable(
  "refresh_tokens",
  {
    id: id(),
    userId: userId().references(() => users.id, { onDelete: "cascade" }),
    familyId: uuid("family_id").notNull(),
    tokenHash: text("token_hash").notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    replacedAt: timestamp("replaced_at", { withTimezone: true }),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
    userAgent: text("user_agent"),
    ip: text("ip"),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("refresh_tokens_hash_uq").on(t.tokenHash),
    index("refresh_tokens_user_family_idx").on(t.userId, t.familyId),
    index("refresh_tokens_revoked_idx").on(t.revokedAt).where(sql`${t.revokedAt} is not null`),
  ],
);

export const apiKeys = pgTable(
  "api_keys",
  {
    id: id(),
    userId: userId().references(() => users.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    // First characters of the key, shown in listings so a user can tell keys apart.
    prefix: text("prefix").notNull(),
    keyHash: text("key_hash").notNull(),
    scopes: text("scopes").array().notNull(),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
    expiresAt: timestamp("expires_at", { withTimezone: true }),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("api_keys_hash_uq").on(t.keyHash), index("api_keys_user_created_idx").on(t.userId, t.createdAt.desc())],
);
