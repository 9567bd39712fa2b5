import { schema } from "@tcc/db";
import { and, desc, eq, isNull } from "drizzle-orm";
import type { Call, Ctx } from "../context";
import { afterTimestamp, timestampCursorValue } from "../db/keyset";
import { wrote } from "../db/wrote";
import { notFound } from "../errors";
import { encodeCursor } from "../lib/cursor";

const l = schema.links;

export interface LinkView {
  id: string;
  url: string;
  title: string | null;
  description: string | null;
  entryId: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface LinkInput {
  url: string;
  title?: string | null;
  description?: string | null;
  entryId?: string | null;
}

export interface LinkListQuery {
  entryId?: string;
  limit: number;
  cursor?: string;
}

const linkColumns = {
  id: l.id,
  url: l.url,
  title: l.title,
  description: l.description,
  entryId: l.entryId,
  createdAt: l.createdAt,
  updatedAt: l.updatedAt,
};

const toView = (r: typeof schema.links.$inferSelect | Omit<typeof schema.links.$inferSelect, "userId">): LinkView => ({
  id: r.id,
  url: r.url,
  title: r.title ?? null,
  description: r.description ?? null,
  entryId: r.entryId ?? null,
  createdAt: new Date(r.createdAt).toISOString(),
  updatedAt: new Date(r.updatedAt).toISOString(),
});

/** A link may only point at an entry the user can see; anything else looks missing. */
async function assertEntry(ctx: Ctx, entryId: string | null | undefined) {
  if (!entryId) return;
  const e = schema.entries;
  const [row] = await ctx.s.db.primary
    .select({ id: e.id })
    .from(e)
    .where(and(eq(e.userId, ctx.userId), eq(e.id, entryId), isNull(e.deletedAt)));
  if (!row) throw notFound("Entry");
}

export async function createLink({ ctx, input }: Call<LinkInput>): Promise<LinkView> {
  await assertEntry(ctx, input.entryId);
  const [row] = await ctx.s.db.primary
    .insert(l)
    .values({
      userId: ctx.userId,
      url: input.url,
      title: input.title ?? null,
      description: input.description ?? null,
      entryId: input.entryId ?? null,
    })
    .returning();
  await wrote(ctx);
  return toView(row as typeof schema.links.$inferSelect);
}

/** Newest first, optionally only the links of one entry. */
export async function listLinks({ ctx, input: q }: Call<LinkListQuery>): Promise<{ items: LinkView[]; nextCursor: string | null }> {
  const load = async () => {
    const rows = await ctx.s.db
      .read(ctx.userId)
      .select({ ...linkColumns, cursorValue: timestampCursorValue(l.createdAt) })
      .from(l)
      .where(
        and(
          eq(l.userId, ctx.userId),
          q.entryId ? eq(l.entryId, q.entryId) : undefined,
          afterTimestamp(q.cursor, l.createdAt, l.id, "desc"),
        ),
      )
      .orderBy(desc(l.createdAt), desc(l.id))
      .limit(q.limit + 1);
    const items = rows.slice(0, q.limit);
    const last = rows.length > q.limit ? items[items.length - 1] : undefined;
    return { items: items.map(toView), nextCursor: last ? encodeCursor({ v: last.cursorValue, id: last.id }) : null };
  };
  // As for entries, only first pages are cached.
  if (q.cursor) return load();
  return ctx.s.cache.getOrLoad(ctx, "links", JSON.stringify(q), load);
}

export async function getLink({ ctx, input: { id } }: Call<{ id: string }>): Promise<LinkView> {
  const view = await ctx.s.cache.getOrLoad(ctx, "link", id, async () => {
    const [row] = await ctx.s.db
      .read(ctx.userId)
      .select(linkColumns)
      .from(l)
      .where(and(eq(l.userId, ctx.userId), eq(l.id, id)));
    return row ? toView(row) : null;
  });
  if (!view) throw notFound("Link");
  return view;
}

/** Partial update; entryId null detaches the link from its entry. */
export async function updateLink({ ctx, input: { id, patch } }: Call<{ id: string; patch: Partial<LinkInput> }>): Promise<LinkView> {
  await assertEntry(ctx, patch.entryId);
  const set: Partial<typeof l.$inferInsert> = { updatedAt: ctx.s.clock() };
  if (patch.url !== undefined) set.url = patch.url;
  if (patch.title !== undefined) set.title = patch.title;
  if (patch.description !== undefined) set.description = patch.description;
  if (patch.entryId !== undefined) set.entryId = patch.entryId;
  const [row] = await ctx.s.db.primary
    .update(l)
    .set(set)
    .where(and(eq(l.userId, ctx.userId), eq(l.id, id)))
    .returning();
  if (!row) throw notFound("Link");
  await wrote(ctx);
  return toView(row);
}

export async function deleteLink({ ctx, input: { id } }: Call<{ id: string }>): Promise<void> {
  const [row] = await ctx.s.db.primary
    .delete(l)
    .where(and(eq(l.userId, ctx.userId), eq(l.id, id)))
    .returning({ id: l.id });
  if (!row) throw notFound("Link");
  await wrote(ctx);
}
