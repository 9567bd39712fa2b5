import { index, integer, jsonb, pgEnum, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid, vector } from "drizzle-orm/pg-core";
import { createdAt, id, updatedAt, userId } from "./columns";
import { entries } from "./entries";
import { users } from "./users";

/**
 * Dimensions of `document_embeddings.embedding` as the migration creates it. The configured
 * dimension (EMBEDDING_DIMS) is checked against the live column at start-up.
 */
export const DEFAULT_EMBEDDING_DIMS = 768;

export const documentEmbeddings = pgTable(
  "document_embeddings",
  {
    id: id(),
    userId: userId().references(() => users.id, { onDelete: "cascade" }),
    entryId: uuid("entry_id")
      .notNull()
      .references(() => entries.id, { onDelete: "cascade" }),
    chunkIndex: integer("chunk_index").notNull(),
    chunkText: text("chunk_text").notNull(),
    model: text("model").notNull(),
    embedding: vector("embedding", { dimensions: DEFAULT_EMBEDDING_DIMS }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("document_embeddings_entry_chunk_uq").on(t.userId, t.entryId, t.chunkIndex),
    index("document_embeddings_hnsw").using("hnsw", t.embedding.op("vector_cosine_ops")),
    // Purging an entry cascades here by entry_id alone.
    index("document_embeddings_entry_idx").on(t.entryId),
  ],
);

/**
 * What each entry's stored vectors were made from, one row per embedded entry. Kept apart from
 * `entries` because updating an entry row recomputes its generated tsvector. The start-up sweep
 * finds entries with no row, another text hash (computed in SQL) or another model; the embedding
 * job skips the model call when the text hash and model still match.
 */
export const embeddingStatus = pgTable(
  "embedding_status",
  {
    userId: userId().references(() => users.id, { onDelete: "cascade" }),
    entryId: uuid("entry_id")
      .notNull()
      .references(() => entries.id, { onDelete: "cascade" }),
    model: text("model").notNull(),
    /** sha256 of the embedded title and content (see textHash in core's search/embeddings.ts). */
    contentHash: text("content_hash").notNull(),
    /** entries.updated_at of the version embedded. */
    sourceUpdatedAt: timestamp("source_updated_at", { withTimezone: true, mode: "date" }).notNull(),
    chunks: integer("chunks").notNull(),
    embeddedAt: timestamp("embedded_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.entryId] }), index("embedding_status_entry_idx").on(t.entryId)],
);

export const conversations = pgTable(
  "conversations",
  {
    id: id(),
    userId: userId().references(() => users.id, { onDelete: "cascade" }),
    title: text("title"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("conversations_user_updated_idx").on(t.userId, t.updatedAt.desc(), t.id.desc())],
);

export const messageRole = pgEnum("message_role", ["system", "user", "assistant", "tool"]);

export const messages = pgTable(
  "messages",
  {
    id: id(),
    userId: userId(),
    conversationId: uuid("conversation_id")
      .notNull()
      .references(() => conversations.id, { onDelete: "cascade" }),
    role: messageRole("role").notNull(),
    content: text("content").notNull(),
    toolCalls: jsonb("tool_calls"),
    citations: jsonb("citations"),
    createdAt: createdAt(),
  },
  (t) => [index("messages_user_conversation_idx").on(t.userId, t.conversationId, t.createdAt)],
);
