import { schema } from "@tcc/db";
import { asc, eq, or } from "drizzle-orm";
import type { Ctx } from "../context";
import { type EntryView, entryColumns, toView } from "../entries/entry-query";

/** The archive's format: `manifest.json` names it, and import refuses anything else. */
export const ARCHIVE_FORMAT = "tcc-log-export";
export const ARCHIVE_VERSION = 1;

const iso = (d: Date | string | null | undefined) => (d === null || d === undefined ? null : new Date(d).toISOString());

/**
 * Everything TCC Log keeps about one user, as the export archive carries it (file bytes apart).
 * Read from the primary: an export is a snapshot of what is, not what a replica has replayed.
 */
export async function collectUserData(ctx: Ctx) {
  const db = ctx.s.db.primary;
  const me = ctx.userId;
  const s = schema;
  const [user] = await db
    .select({
      id: s.users.id,
      email: s.users.email,
      displayName: s.users.displayName,
      createdAt: s.users.createdAt,
      updatedAt: s.users.updatedAt,
    })
    .from(s.users)
    .where(eq(s.users.id, me));
  const entries: EntryView[] = (
    await db.select(entryColumns).from(s.entries).where(eq(s.entries.userId, me)).orderBy(asc(s.entries.createdAt), asc(s.entries.id))
  ).map(toView);
  const tags = await db
    .select({ id: s.tags.id, name: s.tags.name, createdAt: s.tags.createdAt })
    .from(s.tags)
    .where(eq(s.tags.userId, me))
    .orderBy(asc(s.tags.name));
  const topics = await db
    .select({
      id: s.topics.id,
      name: s.topics.name,
      description: s.topics.description,
      createdAt: s.topics.createdAt,
      updatedAt: s.topics.updatedAt,
    })
    .from(s.topics)
    .where(eq(s.topics.userId, me))
    .orderBy(asc(s.topics.name));
  const links = await db
    .select({
      id: s.links.id,
      entryId: s.links.entryId,
      url: s.links.url,
      title: s.links.title,
      description: s.links.description,
      createdAt: s.links.createdAt,
      updatedAt: s.links.updatedAt,
    })
    .from(s.links)
    .where(eq(s.links.userId, me))
    .orderBy(asc(s.links.createdAt), asc(s.links.id));
  const fileRows = await db.select().from(s.files).where(eq(s.files.userId, me)).orderBy(asc(s.files.createdAt), asc(s.files.id));
  const galleryRows = await db.select().from(s.galleries).where(eq(s.galleries.userId, me)).orderBy(asc(s.galleries.createdAt));
  const itemRows = await db
    .select()
    .from(s.galleryItems)
    .where(eq(s.galleryItems.userId, me))
    .orderBy(asc(s.galleryItems.position), asc(s.galleryItems.createdAt));
  const conversationRows = await db
    .select()
    .from(s.conversations)
    .where(eq(s.conversations.userId, me))
    .orderBy(asc(s.conversations.createdAt));
  const messageRows = await db
    .select()
    .from(s.messages)
    .where(eq(s.messages.userId, me))
    .orderBy(asc(s.messages.createdAt), asc(s.messages.id));
  const consents = await db
    .select()
    .from(s.userConsent)
    .where(eq(s.userConsent.userId, me))
    .orderBy(asc(s.userConsent.createdAt), asc(s.userConsent.id));
  const auditRows = await db
    .select()
    .from(s.auditLog)
    .where(or(eq(s.auditLog.userId, me), eq(s.auditLog.actorId, me)))
    .orderBy(asc(s.auditLog.id));
  const shareRows = await db
    .select({ sh: s.shares, email: s.users.email })
    .from(s.shares)
    .innerJoin(s.users, eq(s.users.id, s.shares.granteeId))
    .where(eq(s.shares.userId, me));

  return {
    profile: {
      id: me,
      email: user?.email ?? "",
      displayName: user?.displayName ?? null,
      createdAt: iso(user?.createdAt),
      updatedAt: iso(user?.updatedAt),
    },
    entries,
    tags: tags.map((t) => ({ ...t, createdAt: iso(t.createdAt) })),
    topics: topics.map((t) => ({ ...t, createdAt: iso(t.createdAt), updatedAt: iso(t.updatedAt) })),
    links: links.map((l) => ({ ...l, createdAt: iso(l.createdAt), updatedAt: iso(l.updatedAt) })),
    files: fileRows.map((f) => ({
      id: f.id,
      path: `files/${f.id}`,
      sha256: f.sha256,
      mime: f.mime,
      size: f.size,
      originalName: f.originalName,
      metadata: f.metadata,
      createdAt: iso(f.createdAt),
      deletedAt: iso(f.deletedAt),
      storageKey: f.storageKey,
    })),
    galleries: galleryRows.map((g) => ({
      id: g.id,
      title: g.title,
      description: g.description,
      visibility: g.visibility,
      hasPassword: g.passwordHash !== null,
      expiresAt: iso(g.expiresAt),
      coverFileId: g.coverFileId,
      createdAt: iso(g.createdAt),
      updatedAt: iso(g.updatedAt),
      deletedAt: iso(g.deletedAt),
      items: itemRows
        .filter((i) => i.galleryId === g.id)
        .map((i) => ({ id: i.id, fileId: i.fileId, caption: i.caption, position: i.position, createdAt: iso(i.createdAt) })),
    })),
    conversations: conversationRows.map((c) => ({
      id: c.id,
      title: c.title,
      createdAt: iso(c.createdAt),
      updatedAt: iso(c.updatedAt),
      messages: messageRows
        .filter((m) => m.conversationId === c.id)
        .map((m) => ({
          id: m.id,
          role: m.role,
          content: m.content,
          toolCalls: m.toolCalls,
          citations: m.citations,
          createdAt: iso(m.createdAt),
        })),
    })),
    consents: consents.map((c) => ({ id: c.id, type: c.purpose, granted: c.granted, at: iso(c.createdAt) })),
    audit: auditRows.map((a) => ({
      id: String(a.id),
      action: a.action,
      actorId: a.actorId,
      targetType: a.targetType,
      targetId: a.targetId,
      ip: a.ip,
      userAgent: a.userAgent,
      metadata: a.metadata,
      createdAt: iso(a.createdAt),
    })),
    sharesGranted: shareRows.map(({ sh, email }) => ({
      resourceType: sh.resourceType,
      resourceId: sh.resourceId,
      permission: sh.permission,
      granteeEmail: email,
      createdAt: iso(sh.createdAt),
    })),
  };
}

export type UserData = Awaited<ReturnType<typeof collectUserData>>;

/** One entry as a Markdown file: front matter (JSON strings are valid YAML), then the content. */
export function entryMarkdown(e: EntryView, topicName: string | null): string {
  const front = [
    `title: ${JSON.stringify(e.title)}`,
    `id: ${e.id}`,
    `occurredAt: ${e.occurredAt}`,
    `createdAt: ${e.createdAt}`,
    `updatedAt: ${e.updatedAt}`,
    ...(e.deletedAt ? [`deletedAt: ${e.deletedAt}`] : []),
    ...(topicName ? [`topic: ${JSON.stringify(topicName)}`] : []),
    `tags: ${JSON.stringify(e.tags)}`,
    ...(e.fileIds.length ? [`files: ${JSON.stringify(e.fileIds.map((id) => `files/${id}`))}`] : []),
  ];
  return `---\n${front.join("\n")}\n---\n\n# ${e.title}\n\n${e.content}\n`;
}
