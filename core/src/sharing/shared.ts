import { schema } from "@tcc/db";
import { and, desc, eq, isNull, sql } from "drizzle-orm";
import type { Call, Ctx } from "../context";
import { afterTimestamp, timestampCursorValue } from "../db/keyset";
import { updateEntry } from "../entries/entries";
import { afterCursor, cursorValue, type EntryView, entryColumns, toView as entryView } from "../entries/entry-query";
import { readTopic, type TopicView, updateTopic } from "../entries/topics";
import { notFound } from "../errors";
import type { FileRow } from "../files/files";
import { type GalleryItemView, itemsOf, updateGallery } from "../galleries/galleries";
import { encodeCursor } from "../lib/cursor";
import {
  asOwner,
  entryGrant,
  fileGrant,
  type Grant,
  galleryGrant,
  requireGrant,
  type SharePermission,
  type ShareResource,
  topicGrant,
} from "./grants";

const sh = schema.shares;
const u = schema.users;
const e = schema.entries;
const t = schema.topics;
const g = schema.galleries;

export interface Owner {
  id: string;
  email: string;
  displayName: string | null;
}

/** How an object reached the caller: whose it is and what they may do with it. */
export interface ShareInfo {
  sharedBy: Owner;
  permission: SharePermission;
}

export interface SharedItem extends ShareInfo {
  shareId: string;
  resourceType: ShareResource;
  resourceId: string;
  title: string;
  sharedAt: string;
}

async function info(ctx: Ctx, grant: Grant): Promise<ShareInfo> {
  const [owner] = await ctx.s.db.primary
    .select({ id: u.id, email: u.email, displayName: u.displayName })
    .from(u)
    .where(eq(u.id, grant.ownerId));
  return {
    sharedBy: { id: grant.ownerId, email: owner?.email ?? "", displayName: owner?.displayName ?? null },
    permission: grant.permission,
  };
}

/** What others have shared with the caller, newest grant first; objects since deleted drop out. */
export async function listSharedWithMe({ ctx, input: q }: Call<{ limit: number; cursor?: string; type?: ShareResource }>) {
  const title = sql<string>`coalesce(${e.title}, ${t.name}, ${g.title})`;
  const rows = await ctx.s.db.primary
    .select({
      shareId: sh.id,
      resourceType: sh.resourceType,
      resourceId: sh.resourceId,
      permission: sh.permission,
      createdAt: sh.createdAt,
      cursorValue: timestampCursorValue(sh.createdAt),
      ownerId: u.id,
      email: u.email,
      displayName: u.displayName,
      title,
    })
    .from(sh)
    .innerJoin(u, and(eq(u.id, sh.userId), isNull(u.deletedAt)))
    .leftJoin(e, and(eq(sh.resourceType, "entry"), eq(e.id, sh.resourceId), eq(e.userId, sh.userId), isNull(e.deletedAt)))
    .leftJoin(t, and(eq(sh.resourceType, "topic"), eq(t.id, sh.resourceId), eq(t.userId, sh.userId)))
    .leftJoin(g, and(eq(sh.resourceType, "gallery"), eq(g.id, sh.resourceId), eq(g.userId, sh.userId), isNull(g.deletedAt)))
    .where(
      and(
        eq(sh.granteeId, ctx.userId),
        q.type ? eq(sh.resourceType, q.type) : undefined,
        sql`${title} is not null`,
        afterTimestamp(q.cursor, sh.createdAt, sh.id, "desc"),
      ),
    )
    .orderBy(desc(sh.createdAt), desc(sh.id))
    .limit(q.limit + 1);
  const page = rows.slice(0, q.limit);
  const last = rows.length > q.limit ? page[page.length - 1] : undefined;
  const items: SharedItem[] = page.map((r) => ({
    shareId: r.shareId,
    resourceType: r.resourceType,
    resourceId: r.resourceId,
    title: r.title,
    permission: r.permission,
    sharedBy: { id: r.ownerId, email: r.email, displayName: r.displayName ?? null },
    sharedAt: new Date(r.createdAt).toISOString(),
  }));
  return { items, nextCursor: last ? encodeCursor({ v: last.cursorValue, id: last.shareId }) : null };
}

// Shared objects are read from the primary and not cached: a grant is checked on every request,
// and what it lets through is the owner's current data, whichever process the owner wrote on.
async function readEntry(ctx: Ctx, ownerId: string, id: string): Promise<EntryView> {
  const [row] = await ctx.s.db.primary
    .select(entryColumns)
    .from(e)
    .where(and(eq(e.userId, ownerId), eq(e.id, id), isNull(e.deletedAt)));
  if (!row) throw notFound("Entry");
  return entryView(row);
}

export async function getSharedEntry({ ctx, input: { id } }: Call<{ id: string }>): Promise<EntryView & ShareInfo> {
  const grant = requireGrant(await entryGrant(ctx, id), "Entry", "read");
  return { ...(await readEntry(ctx, grant.ownerId, id)), ...(await info(ctx, grant)) };
}

export interface SharedEntryPatch {
  title?: string;
  content?: string;
  occurredAt?: string;
  tags?: string[];
}

/** An edit grant lets the grantee change an entry's text, date and tags; never its topic, files, or whether it exists. */
export async function updateSharedEntry({ ctx, input: { id, patch } }: Call<{ id: string; patch: SharedEntryPatch }>) {
  const grant = requireGrant(await entryGrant(ctx, id), "Entry", "edit");
  const view = await updateEntry({ ctx: asOwner(ctx, grant), input: { id, patch } });
  return { ...view, ...(await info(ctx, grant)) };
}

export async function getSharedTopic({ ctx, input: { id } }: Call<{ id: string }>): Promise<TopicView & ShareInfo> {
  const grant = requireGrant(await topicGrant(ctx, id), "Topic", "read");
  const topic = await readTopic(ctx.s.db.primary, grant.ownerId, id);
  if (!topic) throw notFound("Topic");
  return { ...topic, ...(await info(ctx, grant)) };
}

/** The live entries of a shared topic, most recent occurredAt first. */
export async function listSharedTopicEntries({ ctx, input: q }: Call<{ id: string; limit: number; cursor?: string }>) {
  const grant = requireGrant(await topicGrant(ctx, q.id), "Topic", "read");
  const rows = await ctx.s.db.primary
    .select({ ...entryColumns, cursorValue: cursorValue("occurredAt") })
    .from(e)
    .where(and(eq(e.userId, grant.ownerId), eq(e.topicId, q.id), isNull(e.deletedAt), afterCursor(q.cursor, "occurredAt", "desc")))
    .orderBy(desc(e.occurredAt), desc(e.id))
    .limit(q.limit + 1);
  const items = rows.slice(0, q.limit);
  const last = rows.length > q.limit ? items[items.length - 1] : undefined;
  return { items: items.map(entryView), nextCursor: last ? encodeCursor({ v: last.cursorValue, id: last.id }) : null };
}

export async function updateSharedTopic({
  ctx,
  input: { id, patch },
}: Call<{ id: string; patch: { name?: string; description?: string | null } }>) {
  const grant = requireGrant(await topicGrant(ctx, id), "Topic", "edit");
  return { ...(await updateTopic({ ctx: asOwner(ctx, grant), input: { id, patch } })), ...(await info(ctx, grant)) };
}

export interface SharedGalleryView extends ShareInfo {
  id: string;
  title: string;
  description: string | null;
  coverFileId: string | null;
  version: number;
  createdAt: string;
  updatedAt: string;
  items: GalleryItemView[];
}

export async function getSharedGallery({ ctx, input: { id } }: Call<{ id: string }>): Promise<SharedGalleryView> {
  const grant = requireGrant(await galleryGrant(ctx, id), "Gallery", "read");
  const [row] = await ctx.s.db.primary
    .select()
    .from(g)
    .where(and(eq(g.userId, grant.ownerId), eq(g.id, id), isNull(g.deletedAt)));
  if (!row) throw notFound("Gallery");
  return {
    id: row.id,
    title: row.title,
    description: row.description ?? null,
    coverFileId: row.coverFileId ?? null,
    version: row.version,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    items: await itemsOf(ctx.s.db.primary, id),
    ...(await info(ctx, grant)),
  };
}

/** An edit grant on a gallery changes its title and description; visibility, password and items stay the owner's. */
export async function updateSharedGallery({
  ctx,
  input: { id, patch },
}: Call<{ id: string; patch: { title?: string; description?: string | null } }>) {
  const grant = requireGrant(await galleryGrant(ctx, id), "Gallery", "edit");
  await updateGallery({ ctx: asOwner(ctx, grant), input: { id, patch } });
  return getSharedGallery({ ctx, input: { id } });
}

/** A file the caller may download because a shared gallery shows it or a shared entry has it attached. */
export async function findSharedWithMeFile({ ctx, input: { id } }: Call<{ id: string }>): Promise<FileRow> {
  const grant = requireGrant(await fileGrant(ctx, id), "File", "read");
  const [row] = await ctx.s.db.primary
    .select()
    .from(schema.files)
    .where(and(eq(schema.files.userId, grant.ownerId), eq(schema.files.id, id), isNull(schema.files.deletedAt)));
  if (!row) throw notFound("File");
  return row;
}
