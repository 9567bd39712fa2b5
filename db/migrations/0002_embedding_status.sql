-- Per-entry embedding state (what the stored vectors were made from), and entry_id indexes so
-- purging an entry does not scan every vector to cascade. Written to be re-runnable: its journal
-- timestamp was moved after 0003's when the branches met, so a database that already ran it
-- under its first timestamp runs it again.
CREATE TABLE IF NOT EXISTS "embedding_status" (
	"user_id" uuid NOT NULL,
	"entry_id" uuid NOT NULL,
	"model" text NOT NULL,
	"content_hash" text NOT NULL,
	"source_updated_at" timestamp with time zone NOT NULL,
	"chunks" integer NOT NULL,
	"embedded_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "embedding_status_user_id_entry_id_pk" PRIMARY KEY("user_id","entry_id"),
	CONSTRAINT "embedding_status_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action,
	CONSTRAINT "embedding_status_entry_id_entries_id_fk" FOREIGN KEY ("entry_id") REFERENCES "public"."entries"("id") ON DELETE cascade ON UPDATE no action
);
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "embedding_status_entry_idx" ON "embedding_status" USING btree ("entry_id");--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "document_embeddings_entry_idx" ON "document_embeddings" USING btree ("entry_id");
