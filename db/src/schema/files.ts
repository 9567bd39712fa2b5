import { sql } from "drizzle-orm";
import { bigint, index, integer, jsonb, pgEnum, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, deletedAt, id, updatedAt, userId } from "./columns";
import { entries } from "./entries";
import { users } from "./users";

export const files = pgTable(
  "files",
  {
    id: id(),
    userId: userId().references(() => users.id, { onDelete: "cascade" }),
    storageKey: text("storage_key").notNull(),
    sha256: text("sha256").notNull(),
    mime: text("mime").notNull(),
    size: bigint("size", { mode: "number" }).notNull(),
    originalName: text("original_name"),
    // size, mime, and for images width/height/orientation/taken-at, derivative keys.
    metadata: jsonb("metadata").$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
    deletedAt: deletedAt(),
  },
  (t) => [
    // Content addressing: identical bytes from one user are stored once.
    uniqueIndex("files_user_sha_uq").on(t.userId, t.sha256),
    index("files_user_created_idx").on(t.userId, t.createdAt.desc(), t.id.desc()),
    index("files_trash_idx").on(t.deletedAt).where(sql`${t.deletedAt} is not null`),
  ],
);

/** Quota held by uploads still streaming (core/src/files/quota.ts). */
export const storageReservations = pgTable(
  "storage_reservations",
  {
    id: id(),
    userId: userId().references(() => users.id, { onDelete: "cascade" }),
    bytes: bigint("bytes", { mode: "number" }).notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }).notNull(),
  },
  (t) => [index("storage_reservations_user_idx").on(t.userId, t.expiresAt)],
);

export const entryFiles = pgTable(
  "entry_files",
  {
    userId: userId(),
    entryId: uuid("entry_id")
      .notNull()
      .references(() => entries.id, { onDelete: "cascade" }),
    fileId: uuid("file_id")
      .notNull()
      .references(() => files.id, { onDelete: "cascade" }),
  },
  (t) => [primaryKey({ columns: [t.entryId, t.fileId] }), index("entry_files_user_file_idx").on(t.userId, t.fileId)],
);

export const galleryVisibility = pgEnum("gallery_visibility", ["private", "unlisted", "public"]);

export const galleries = pgTable(
  "galleries",
  {
    id: id(),
    userId: userId().references(() => users.id, { onDelete: "cascade" }),
    title: text("title").notNull(),
    description: text("description"),
    slug: text("slug").notNull(),
    visibility: galleryVisibility("visibility").notNull().default("private"),
    coverFileId: uuid("cover_file_id").references(() => files.id, { onDelete: "set null" }),
    passwordHash: text("password_hash"),
    expiresAt: timestamp("expires_at", { withTimezone: true }),
    // Bumped on every change to the gallery or its items; the edge keys its cache on it.
    version: integer("version").notNull().default(1),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    deletedAt: deletedAt(),
  },
  (t) => [uniqueIndex("galleries_slug_uq").on(t.slug), index("galleries_user_created_idx").on(t.userId, t.createdAt.desc(), t.id.desc())],
);

export const galleryItems = pgTable(
  "gallery_items",
  {
    id: id(),
    userId: userId(),
    galleryId: uuid("gallery_id")
      .notNull()
      .references(() => galleries.id, { onDelete: "cascade" }),
    fileId: uuid("file_id")
      .notNull()
      .references(() => files.id, { onDelete: "cascade" }),
    position: integer("position").notNull(),
    caption: text("caption"),
    createdAt: createdAt(),
  },
  (t) => [index("gallery_items_user_gallery_pos_idx").on(t.userId, t.galleryId, t.position)],
);
