-- Sharing (issue 12): an owner grants another user read or edit on one entry, one topic (and so
-- every entry in it) or one gallery. user_id is the owner, as on every user-owned table; the
-- grantee's rows go with either account (on delete cascade on both).
CREATE TYPE "share_resource" AS ENUM ('entry', 'topic', 'gallery');
--> statement-breakpoint
CREATE TYPE "share_permission" AS ENUM ('read', 'edit');
--> statement-breakpoint
CREATE TABLE "shares" (
  "id" uuid PRIMARY KEY NOT NULL,
  "user_id" uuid NOT NULL REFERENCES "users"("id") ON DELETE CASCADE,
  "grantee_id" uuid NOT NULL REFERENCES "users"("id") ON DELETE CASCADE,
  "resource_type" "share_resource" NOT NULL,
  "resource_id" uuid NOT NULL,
  "permission" "share_permission" NOT NULL,
  "created_at" timestamp with time zone DEFAULT now() NOT NULL,
  "updated_at" timestamp with time zone DEFAULT now() NOT NULL,
  CONSTRAINT "shares_not_self" CHECK ("user_id" <> "grantee_id")
);
--> statement-breakpoint
CREATE UNIQUE INDEX "shares_owner_resource_grantee_uq" ON "shares" ("user_id", "resource_type", "resource_id", "grantee_id");
--> statement-breakpoint
CREATE INDEX "shares_grantee_resource_idx" ON "shares" ("grantee_id", "resource_type", "resource_id");
--> statement-breakpoint
-- GDPR export archives: one row per requested export, the archive's bytes in object storage.
CREATE TABLE "data_exports" (
  "id" uuid PRIMARY KEY NOT NULL,
  "user_id" uuid NOT NULL REFERENCES "users"("id") ON DELETE CASCADE,
  "status" text NOT NULL DEFAULT 'queued',
  "storage_key" text,
  "size" bigint,
  "sha256" text,
  "error" text,
  "created_at" timestamp with time zone DEFAULT now() NOT NULL,
  "finished_at" timestamp with time zone,
  "expires_at" timestamp with time zone,
  CONSTRAINT "data_exports_status_ck" CHECK ("status" IN ('queued', 'running', 'ready', 'failed'))
);
--> statement-breakpoint
CREATE INDEX "data_exports_user_created_idx" ON "data_exports" ("user_id", "created_at" DESC);
