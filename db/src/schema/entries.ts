import { sql } from "drizzle-orm";
import { index, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, deletedAt, id, tsvector, updatedAt, userId } from "./columns";
import { users } from "./users";

/** The text-search configuration used by the generated column and by every query against it. */
export const SEARCH_CONFIG = "english";

export const topics = pgTable(
  "topics",
  {
    id: id(),
    userId: userId().references(() => users.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    // What names are compared by (core/src/lib/name-key.ts): NFC and Unicode case folding.
    nameKey: text("name_key").notNull(),
    description: text("description"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("topics_user_name_key_uq").on(t.userId, t.nameKey)],
);

export const entries = pgTable(
  "entries",
  {
    id: id(),
    userId: userId().references(() => users.id, { onDelete: "cascade" }),
    title: text("title").notNull(),
    content: text("content").notNull().default(""),
    topicId: uuid("topic_id").references(() => topics.id, { onDelete: "set null" }),
    // When the logged event happened; defaults to creation time, clients may back-date it.
    occurredAt: timestamp("occurred_at", { withTimezone: true }).notNull().defaultNow(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    deletedAt: deletedAt(),
    // Title weighs more than body. Only the first 256K characters of content are indexed:
    // a tsvector is capped at 1 MB and a 1 MB entry of varied words would overflow it.
    search: tsvector("search")
      .notNull()
      .generatedAlwaysAs(
        sql`setweight(to_tsvector(${sql.raw(`'${SEARCH_CONFIG}'`)}::regconfig, coalesce(title, '')), 'A') || setweight(to_tsvector(${sql.raw(`'${SEARCH_CONFIG}'`)}::regconfig, left(coalesce(content, ''), 262144)), 'B')`,
      ),
  },
  (t) => [
    index("entries_user_created_idx").on(t.userId, t.createdAt.desc(), t.id.desc()),
    index("entries_user_occurred_idx").on(t.userId, t.occurredAt.desc(), t.id.desc()),
    index("entries_user_updated_idx").on(t.userId, t.updatedAt.desc(), t.id.desc()),
    // Partial: most entries have no topic, and every lookup names one (migration 0008).
    index("entries_user_topic_idx").on(t.userId, t.topicId).where(sql`${t.topicId} is not null`),
    index("entries_search_gin").using("gin", t.search),
  ],
);

export const tags = pgTable(
  "tags",
  {
    id: id(),
    userId: userId().references(() => users.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    // What names are compared by (core/src/lib/name-key.ts): NFC and Unicode case folding.
    nameKey: text("name_key").notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("tags_user_name_key_uq").on(t.userId, t.nameKey)],
);

export const entryTags = pgTable(
  "entry_tags",
  {
    userId: userId(),
    entryId: uuid("entry_id")
      .notNull()
      .references(() => entries.id, { onDelete: "cascade" }),
    tagId: uuid("tag_id")
      .notNull()
      .references(() => tags.id, { onDelete: "cascade" }),
  },
  (t) => [primaryKey({ columns: [t.entryId, t.tagId] }), index("entry_tags_user_tag_idx").on(t.userId, t.tagId)],
);

export const links = pgTable(
  "links",
  {
    id: id(),
    userId: userId().references(() => users.id, { onDelete: "cascade" }),
    entryId: uuid("entry_id").references(() => entries.id, { onDelete: "set null" }),
    url: text("url").notNull(),
    title: text("title"),
    description: text("description"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("links_user_created_idx").on(t.userId, t.createdAt.desc(), t.id.desc()),
    index("links_user_entry_idx").on(t.userId, t.entryId),
  ],
);
