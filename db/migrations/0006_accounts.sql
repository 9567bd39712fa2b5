-- Accounts (issue 12, part A): roles and suspension, TOTP MFA with recovery codes, OpenID
-- Connect identities, and an append-only audit log.

-- Accounts made through OpenID Connect sign-in have no password.
ALTER TABLE "users" ALTER COLUMN "password_hash" DROP NOT NULL;
--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "role" text DEFAULT 'user' NOT NULL;
--> statement-breakpoint
ALTER TABLE "users" ADD CONSTRAINT "users_role_check" CHECK ("role" IN ('user', 'admin'));
--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "suspended_at" timestamp with time zone;
--> statement-breakpoint
-- One TOTP authenticator per user. The secret is stored encrypted (AES-256-GCM, see
-- core/src/accounts/mfa-crypto.ts); confirmed_at is null until the user proves they hold it.
CREATE TABLE "user_mfa" (
	"user_id" uuid PRIMARY KEY NOT NULL REFERENCES "users"("id") ON DELETE CASCADE,
	"secret" text NOT NULL,
	"confirmed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
-- One-time recovery codes, stored as SHA-256 (each is 50 random bits, and attempts are throttled).
CREATE TABLE "mfa_recovery_codes" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL REFERENCES "users"("id") ON DELETE CASCADE,
	"code_hash" text NOT NULL,
	"used_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "mfa_recovery_codes_user_hash_uq" ON "mfa_recovery_codes" USING btree ("user_id", "code_hash");
--> statement-breakpoint
-- An OpenID Connect identity (provider + subject) linked to an account.
CREATE TABLE "user_identities" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL REFERENCES "users"("id") ON DELETE CASCADE,
	"provider" text NOT NULL,
	"subject" text NOT NULL,
	"email" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_login_at" timestamp with time zone
);
--> statement-breakpoint
CREATE UNIQUE INDEX "user_identities_provider_subject_uq" ON "user_identities" USING btree ("provider", "subject");
--> statement-breakpoint
CREATE INDEX "user_identities_user_idx" ON "user_identities" USING btree ("user_id", "provider");
--> statement-breakpoint
-- Audit rows: user_id is whom the event concerns, actor_id who caused it (an admin, for admin actions).
ALTER TABLE "audit_log" ADD COLUMN "actor_id" uuid;
--> statement-breakpoint
ALTER TABLE "audit_log" ADD COLUMN "user_agent" text;
--> statement-breakpoint
CREATE INDEX "audit_log_actor_created_idx" ON "audit_log" USING btree ("actor_id", "created_at" DESC NULLS LAST) WHERE "actor_id" IS NOT NULL;
--> statement-breakpoint
-- The audit log is append-only. The one change allowed is anonymisation (GDPR erasure), and
-- only through tcc_audit_anonymise(), which raises a transaction-local flag; even then a row may
-- only lose its personal fields, never gain or change anything else.
CREATE OR REPLACE FUNCTION "tcc_audit_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND current_setting('tcc.audit_anonymise', true) = 'on'
     AND NEW.id = OLD.id AND NEW.action = OLD.action AND NEW.created_at = OLD.created_at
     AND NEW.target_type IS NOT DISTINCT FROM OLD.target_type
     AND NEW.request_id IS NOT DISTINCT FROM OLD.request_id
     AND (NEW.user_id IS NULL OR NEW.user_id = OLD.user_id)
     AND (NEW.actor_id IS NULL OR NEW.actor_id = OLD.actor_id)
     AND (NEW.target_id IS NULL OR NEW.target_id = OLD.target_id)
     AND (NEW.ip IS NULL OR NEW.ip = OLD.ip)
     AND (NEW.user_agent IS NULL OR NEW.user_agent = OLD.user_agent)
     AND (NEW.metadata IS NULL OR NEW.metadata = OLD.metadata) THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
--> statement-breakpoint
CREATE TRIGGER "audit_log_append_only" BEFORE UPDATE OR DELETE ON "audit_log"
	FOR EACH ROW EXECUTE FUNCTION "tcc_audit_append_only"();
--> statement-breakpoint
CREATE TRIGGER "audit_log_no_truncate" BEFORE TRUNCATE ON "audit_log"
	FOR EACH STATEMENT EXECUTE FUNCTION "tcc_audit_append_only"();
--> statement-breakpoint
-- Strips one user's personal data from their audit rows (as subject, as actor, as target) and
-- returns how many rows it touched. The events themselves (what, when) stay.
CREATE OR REPLACE FUNCTION "tcc_audit_anonymise"(uid uuid) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  n integer;
BEGIN
  PERFORM set_config('tcc.audit_anonymise', 'on', true);
  UPDATE "audit_log" SET
    "user_id" = CASE WHEN "user_id" = uid THEN NULL ELSE "user_id" END,
    "actor_id" = CASE WHEN "actor_id" = uid THEN NULL ELSE "actor_id" END,
    "target_id" = CASE WHEN "target_id" = uid::text THEN NULL ELSE "target_id" END,
    "ip" = NULL,
    "user_agent" = NULL,
    "metadata" = NULL
  WHERE "user_id" = uid OR "actor_id" = uid OR ("target_type" = 'user' AND "target_id" = uid::text);
  GET DIAGNOSTICS n = ROW_COUNT;
  PERFORM set_config('tcc.audit_anonymise', 'off', true);
  RETURN n;
END $$;
