-- The chat assistant's query_log tool runs model-written SQL. It runs as this role, inside a
-- read-only transaction with a statement timeout, and row-level security pins every table it
-- can read to the asking user (tcc.query_user, set with SET LOCAL by core). NOLOGIN: core
-- switches to it with SET LOCAL ROLE; nobody can connect as it. Roles are cluster-wide, so a
-- second database in the same cluster finds it already there.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tcc_query_log') THEN
    BEGIN
      CREATE ROLE tcc_query_log NOLOGIN;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
      NULL; -- another database of the cluster migrated at the same moment
    END;
  END IF;
  -- A non-superuser app role needs membership to SET ROLE to it; a superuser does not, and
  -- a role that cannot grant it (it already has it, or another owner made it) carries on.
  BEGIN
    EXECUTE format('GRANT tcc_query_log TO %I', current_user);
  EXCEPTION WHEN others THEN
    NULL;
  END;
END $$;
--> statement-breakpoint
GRANT USAGE ON SCHEMA public TO tcc_query_log;
--> statement-breakpoint
GRANT SELECT ON "entries" TO tcc_query_log;
--> statement-breakpoint
GRANT SELECT ON "tags" TO tcc_query_log;
--> statement-breakpoint
GRANT SELECT ON "entry_tags" TO tcc_query_log;
--> statement-breakpoint
GRANT SELECT ON "topics" TO tcc_query_log;
--> statement-breakpoint
GRANT SELECT ON "links" TO tcc_query_log;
--> statement-breakpoint
GRANT SELECT ON "files" TO tcc_query_log;
--> statement-breakpoint
GRANT SELECT ON "entry_files" TO tcc_query_log;
--> statement-breakpoint
GRANT SELECT ON "gallery_items" TO tcc_query_log;
--> statement-breakpoint
-- Every column of galleries but the password hash.
GRANT SELECT ("id", "user_id", "title", "description", "slug", "visibility", "cover_file_id", "expires_at", "version", "created_at", "updated_at", "deleted_at") ON "galleries" TO tcc_query_log;
--> statement-breakpoint
-- The table owner (core) and superusers bypass RLS (it is not FORCEd); tcc_query_log sees its
-- user's rows; any other role granted SELECT later would see none until it gets a policy.
ALTER TABLE "entries" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY "entries_query_log_own_rows" ON "entries" FOR SELECT TO tcc_query_log
  USING ("user_id" = nullif(current_setting('tcc.query_user', true), '')::uuid);
--> statement-breakpoint
ALTER TABLE "tags" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY "tags_query_log_own_rows" ON "tags" FOR SELECT TO tcc_query_log
  USING ("user_id" = nullif(current_setting('tcc.query_user', true), '')::uuid);
--> statement-breakpoint
ALTER TABLE "entry_tags" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY "entry_tags_query_log_own_rows" ON "entry_tags" FOR SELECT TO tcc_query_log
  USING ("user_id" = nullif(current_setting('tcc.query_user', true), '')::uuid);
--> statement-breakpoint
ALTER TABLE "topics" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY "topics_query_log_own_rows" ON "topics" FOR SELECT TO tcc_query_log
  USING ("user_id" = nullif(current_setting('tcc.query_user', true), '')::uuid);
--> statement-breakpoint
ALTER TABLE "links" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY "links_query_log_own_rows" ON "links" FOR SELECT TO tcc_query_log
  USING ("user_id" = nullif(current_setting('tcc.query_user', true), '')::uuid);
--> statement-breakpoint
ALTER TABLE "files" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY "files_query_log_own_rows" ON "files" FOR SELECT TO tcc_query_log
  USING ("user_id" = nullif(current_setting('tcc.query_user', true), '')::uuid);
--> statement-breakpoint
ALTER TABLE "entry_files" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY "entry_files_query_log_own_rows" ON "entry_files" FOR SELECT TO tcc_query_log
  USING ("user_id" = nullif(current_setting('tcc.query_user', true), '')::uuid);
--> statement-breakpoint
ALTER TABLE "galleries" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY "galleries_query_log_own_rows" ON "galleries" FOR SELECT TO tcc_query_log
  USING ("user_id" = nullif(current_setting('tcc.query_user', true), '')::uuid);
--> statement-breakpoint
ALTER TABLE "gallery_items" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY "gallery_items_query_log_own_rows" ON "gallery_items" FOR SELECT TO tcc_query_log
  USING ("user_id" = nullif(current_setting('tcc.query_user', true), '')::uuid);
--> statement-breakpoint
-- set_config is the one way a SELECT can change settings: with it, a query could set
-- tcc.query_user to another user's id between rows, or set role back to the session user.
-- Nothing in core calls it (it uses SET LOCAL). A non-superuser migration cannot revoke it
-- (Postgres only warns); core then refuses to run query_log rather than run it unprotected.
REVOKE EXECUTE ON FUNCTION pg_catalog.set_config(text, text, boolean) FROM PUBLIC;
