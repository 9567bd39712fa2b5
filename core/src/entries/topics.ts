import { type Drizzle, schema } from "@tcc/db";
import { and, eq, sql } from "drizzle-orm";
import type { Call } from "../context";
import { isUniqueViolation } from "../db/pg-errors";
import { wrote } from "../db/wrote";
import { AppError, notFound } from "../errors";
import { displayName, nameKey } from "../lib/name-key";

const t = schema.topics;

export interface TopicView {
  id: string;
  name: string;
  description: string | null;
  entryCount: number;
  createdAt: string;
  updatedAt: string;
}

export interface TopicInput {
  name: string;
  description?: string | null;
}

// Entries in the trash do not count, as on the entry list filtered by topic. The outer columns
// are spelled out: Drizzle leaves them unqualified in a one-table select, and a bare "id" here
// would resolve to entries.id.
const topicColumns = {
  id: t.id,
  name: t.name,
  description: t.description,
  createdAt: t.createdAt,
  updatedAt: t.updatedAt,
  entryCount: sql<number>`(select count(*) from entries e
    where e.user_id = "topics"."user_id" and e.topic_id = "topics"."id" and e.deleted_at is null)::int`,
};

type TopicRow = Omit<TopicView, "createdAt" | "updatedAt"> & { createdAt: Date; updatedAt: Date };

const toView = (r: TopicRow): TopicView => ({
  id: r.id,
  name: r.name,
  description: r.description ?? null,
  entryCount: Number(r.entryCount),
  createdAt: new Date(r.createdAt).toISOString(),
  updatedAt: new Date(r.updatedAt).toISOString(),
});

const duplicate = (name: string) => new AppError("CONFLICT", `A topic named "${name}" already exists`);

export async function readTopic(db: Drizzle, userId: string, id: string): Promise<TopicView | null> {
  const [row] = await db
    .select(topicColumns)
    .from(t)
    .where(and(eq(t.userId, userId), eq(t.id, id)));
  return row ? toView(row) : null;
}

export async function createTopic({ ctx, input }: Call<TopicInput>): Promise<TopicView> {
  // The unique index on (user_id, name_key) is the check, so concurrent creates cannot both win.
  const [row] = await ctx.s.db.primary
    .insert(t)
    .values({ userId: ctx.userId, name: displayName(input.name), nameKey: nameKey(input.name), description: input.description ?? null })
    .onConflictDoNothing()
    .returning();
  if (!row) throw duplicate(input.name);
  await wrote(ctx);
  return toView({ ...row, entryCount: 0 });
}

/** All the user's topics, alphabetically regardless of case. */
export async function listTopics({ ctx }: Call): Promise<TopicView[]> {
  return ctx.s.cache.getOrLoad(ctx, "topics", "", async () => {
    const rows = await ctx.s.db.read(ctx.userId).select(topicColumns).from(t).where(eq(t.userId, ctx.userId)).orderBy(t.nameKey, t.id);
    return rows.map(toView);
  });
}

export async function getTopic({ ctx, input: { id } }: Call<{ id: string }>): Promise<TopicView> {
  const view = await ctx.s.cache.getOrLoad(ctx, "topic", id, () => readTopic(ctx.s.db.read(ctx.userId), ctx.userId, id));
  if (!view) throw notFound("Topic");
  return view;
}

export async function updateTopic({ ctx, input: { id, patch } }: Call<{ id: string; patch: Partial<TopicInput> }>): Promise<TopicView> {
  const set: Partial<typeof t.$inferInsert> = { updatedAt: ctx.s.clock() };
  if (patch.name !== undefined) {
    set.name = displayName(patch.name);
    set.nameKey = nameKey(patch.name);
  }
  if (patch.description !== undefined) set.description = patch.description;
  let row: { id: string } | undefined;
  try {
    [row] = await ctx.s.db.primary
      .update(t)
      .set(set)
      .where(and(eq(t.userId, ctx.userId), eq(t.id, id)))
      .returning({ id: t.id });
  } catch (err) {
    if (isUniqueViolation(err) && patch.name !== undefined) throw duplicate(patch.name);
    throw err;
  }
  if (!row) throw notFound("Topic");
  await wrote(ctx);
  return (await readTopic(ctx.s.db.primary, ctx.userId, id)) as TopicView;
}

/** Deletes the topic; its entries stay and become topic-less (on delete set null). */
export async function deleteTopic({ ctx, input: { id } }: Call<{ id: string }>): Promise<void> {
  const [row] = await ctx.s.db.primary
    .delete(t)
    .where(and(eq(t.userId, ctx.userId), eq(t.id, id)))
    .returning({ id: t.id });
  if (!row) throw notFound("Topic");
  await wrote(ctx);
}
