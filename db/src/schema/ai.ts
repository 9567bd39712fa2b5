import { index, integer, jsonb, pgEnum, pgTable, text, uniqueIndex, uuid, vector } from "drizzle-orm/pg-core";
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
  ],
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
