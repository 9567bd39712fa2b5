-- Upload quota reserved while the bytes stream in (see core/src/files/quota.ts). A reservation
-- is taken under a lock on the user's row, counted with the user's files (soft-deleted ones
-- too, until purged), and removed once the file row exists or the upload failed. One left by a
-- crashed process stops counting at expires_at and is swept.
CREATE TABLE "storage_reservations" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL REFERENCES "users"("id") ON DELETE CASCADE,
	"bytes" bigint NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "storage_reservations_user_idx" ON "storage_reservations" USING btree ("user_id","expires_at");
--> statement-breakpoint
-- The trash sweep finds files soft-deleted longer ago than FILES_TRASH_RETENTION_S.
CREATE INDEX "files_trash_idx" ON "files" USING btree ("deleted_at") WHERE "deleted_at" IS NOT NULL;
--> statement-breakpoint
-- Logouts of the last access-token lifetime, denylisted again when Redis comes back.
CREATE INDEX "refresh_tokens_revoked_idx" ON "refresh_tokens" USING btree ("revoked_at") WHERE "revoked_at" IS NOT NULL;
