import { customType, timestamp, uuid } from "drizzle-orm/pg-core";

// UUIDv7: time-ordered (good B-tree locality, stable cursor order) yet not guessable enough to
// enumerate; every row is still guarded by user_id, never by the id alone.
export const id = () =>
  uuid("id")
    .primaryKey()
    .$defaultFn(() => Bun.randomUUIDv7());

export const userId = () => uuid("user_id").notNull();

export const createdAt = () => timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow();
export const updatedAt = () => timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow();
export const deletedAt = () => timestamp("deleted_at", { withTimezone: true, mode: "date" });

export const tsvector = customType<{ data: string }>({
  dataType: () => "tsvector",
});
