-- Most entries have no topic, yet every create added a (user_id, NULL) key to this index: one
-- b-tree insert and WAL record of the ~14 a create writes (~80 of ~1,630 WAL bytes, which the
-- replica replays too). Every query that uses it asks for one topic (topic_id = ...), which
-- implies topic_id IS NOT NULL, so the partial index serves them all.
DROP INDEX IF EXISTS "entries_user_topic_idx";
--> statement-breakpoint
CREATE INDEX "entries_user_topic_idx" ON "entries" USING btree ("user_id","topic_id") WHERE "topic_id" IS NOT NULL;
