import { sql } from "drizzle-orm";
import { check, index, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, deletedAt, id, updatedAt, userId } from "./columns";

export const users = pgTable(
  "users",
  {
    id: id(),
    email: text("email").notNull(),
    // Null for accounts made through OpenID Connect sign-in.
    passwordHash: text("password_hash"),
    displayName: text("display_name"),
    role: text("role", { enum: ["user", "admin"] })
      .notNull()
      .default("user"),
    // A suspended account cannot sign in; its sessions and API keys stop working.
    suspendedAt: timestamp("suspended_at", { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    deletedAt: deletedAt(),
  },
  (t) => [uniqueIndex("users_email_lower_uq").on(sql`lower(${t.email})`), check("users_role_check", sql`${t.role} IN ('user', 'admin')`)],
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

// One TOTP authenticator per user; the secret is encrypted (core/src/accounts/mfa-crypto.ts).
export const userMfa = pgTable("user_mfa", {
  userId: uuid("user_id")
    .primaryKey()
    .references(() => users.id, { onDelete: "cascade" }),
  secret: text("secret").notNull(),
  confirmedAt: timestamp("confirmed_at", { withTimezone: true }),
  createdAt: createdAt(),
});

export const mfaRecoveryCodes = pgTable(
  "mfa_recovery_codes",
  {
    id: id(),
    userId: userId().references(() => users.id, { onDelete: "cascade" }),
    codeHash: text("code_hash").notNull(),
    usedAt: timestamp("used_at", { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("mfa_recovery_codes_user_hash_uq").on(t.userId, t.codeHash)],
);

// An OpenID Connect identity (provider + subject) linked to an account.
export const userIdentities = pgTable(
  "user_identities",
  {
    id: id(),
    userId: userId().references(() => users.id, { onDelete: "cascade" }),
    provider: text("provider").notNull(),
    subject: text("subject").notNull(),
    email: text("email"),
    createdAt: createdAt(),
    lastLoginAt: timestamp("last_login_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("user_identities_provider_subject_uq").on(t.provider, t.subject),
    index("user_identities_user_idx").on(t.userId, t.provider),
  ],
);
