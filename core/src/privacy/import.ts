import { randomBytes } from "node:crypto";
import { schema } from "@tcc/db";
import { and, eq } from "drizzle-orm";
import type { z } from "zod";
import { audit, type ClientMeta } from "../accounts/audit";
import type { Call } from "../context";
import { withTransaction } from "../db/transaction";
import { wrote } from "../db/wrote";
import { setEntryTags } from "../entries/tag-names";
import { AppError } from "../errors";
import { upload } from "../files/files";
import { lazyModule } from "../lib/lazy-module";
import { displayName, nameKey } from "../lib/name-key";
import { entryWritten } from "../search/embeddings";
import {
  ArchiveConsents,
  ArchiveConversations,
  ArchiveEntries,
  ArchiveFiles,
  ArchiveGalleries,
  ArchiveLinks,
  ArchiveTopics,
  Manifest,
} from "./import-schema";

export interface ImportReport {
  entries: number;
  topics: number;
  links: number;
  files: number;
  galleries: number;
  conversations: number;
  consents: number;
}

const invalid = (message: string, details?: unknown) => new AppError("VALIDATION_FAILED", message, details);

/** Reads a request body up to `max` bytes; more is 413, whatever the body declared. */
export async function readCapped(body: ReadableStream<Uint8Array> | null, max: number): Promise<Uint8Array> {
  if (!body) throw invalid("The archive is missing", [{ path: "body", message: "empty" }]);
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > max) throw new AppError("PAYLOAD_TOO_LARGE", `The archive exceeds the limit of ${max} bytes`);
    parts.push(chunk);
  }
  return Buffer.concat(parts);
}

/** Loaded by the first import, not at start-up (see lib/lazy-module.ts). */
const fflate = lazyModule(() => import("fflate"));

/** The archive's members; a corrupt zip, or one that would unpack beyond `maxUnpacked`, is refused before anything is stored. */
async function unpack(bytes: Uint8Array, maxUnpacked: number): Promise<Record<string, Uint8Array>> {
  const { unzipSync } = await fflate();
  let total = 0;
  try {
    return unzipSync(bytes, {
      filter: (f) => {
        total += f.originalSize;
        if (total > maxUnpacked) throw new AppError("PAYLOAD_TOO_LARGE", `The archive unpacks to more than ${maxUnpacked} bytes`);
        return true;
      },
    });
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw invalid("The body is not a zip archive", [{ path: "body", message: "not a zip" }]);
  }
}

function member<T extends z.ZodTypeAny>(files: Record<string, Uint8Array>, name: string, shape: T): z.infer<T> {
  const raw = files[name];
  if (!raw) throw invalid(`The archive has no ${name}: is it a TCC Log export?`, [{ path: name, message: "missing" }]);
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(raw));
  } catch {
    throw invalid(`${name} is not JSON`, [{ path: name, message: "not JSON" }]);
  }
  const parsed = shape.safeParse(value);
  if (!parsed.success) {
    throw invalid(
      `${name} does not hold what an export writes`,
      parsed.error.issues.slice(0, 20).map((i) => ({ path: [name, ...i.path].join("."), message: i.message })),
    );
  }
  return parsed.data;
}

/**
 * Imports an export archive (from this or another TCC Log instance) into the caller's account,
 * as new objects with new ids: topics (merged by name with existing ones), entries with their
 * tags and files, links, galleries (private: passwords are not exported), conversations and
 * consent history. Audit records and grants stay with the account they describe. Files are
 * stored first (deduplicated by content); everything else lands in one transaction or not at all.
 */
export async function importArchive({ ctx, input }: Call<{ bytes: Uint8Array; client?: ClientMeta }>): Promise<ImportReport> {
  const files = await unpack(input.bytes, ctx.s.env.MAX_FILE_BYTES * 4);
  member(files, "manifest.json", Manifest);
  const entries = member(files, "entries.json", ArchiveEntries);
  const topics = member(files, "topics.json", ArchiveTopics);
  const links = member(files, "links.json", ArchiveLinks);
  const fileMeta = member(files, "files.json", ArchiveFiles);
  const galleries = member(files, "galleries.json", ArchiveGalleries);
  const conversations = member(files, "conversations.json", ArchiveConversations);
  const consents = member(files, "consents.json", ArchiveConsents);

  // Live files with bytes in the archive; trashed ones are not brought back.
  const fileIds = new Map<string, string>();
  for (const f of fileMeta) {
    if (f.deletedAt || !f.path) continue;
    const bytes = files[f.path];
    if (!bytes) throw invalid(`${f.path} is listed but not in the archive`, [{ path: f.path, message: "missing" }]);
    const { file } = await upload({
      ctx,
      input: { body: new Blob([bytes]).stream(), declaredType: f.mime, name: f.originalName, declaredLength: bytes.byteLength },
    });
    fileIds.set(f.id, file.id);
  }

  const live = await withTransaction(ctx, async (ctx) => {
    const tx = ctx.tx.db;
    const userId = ctx.userId;
    const topicIds = new Map<string, string>();
    for (const t of topics) {
      await tx
        .insert(schema.topics)
        .values({ userId, name: displayName(t.name), nameKey: nameKey(t.name), description: t.description })
        .onConflictDoNothing();
      const [row] = await tx
        .select({ id: schema.topics.id })
        .from(schema.topics)
        .where(and(eq(schema.topics.userId, userId), eq(schema.topics.nameKey, nameKey(t.name))));
      topicIds.set(t.id, (row as { id: string }).id);
    }
    const entryIds = new Map<string, string>();
    const live: { id: string; title: string; content: string }[] = [];
    for (const e of entries) {
      const [row] = await tx
        .insert(schema.entries)
        .values({
          userId,
          title: e.title,
          content: e.content,
          topicId: e.topicId ? (topicIds.get(e.topicId) ?? null) : null,
          occurredAt: new Date(e.occurredAt),
          createdAt: new Date(e.createdAt),
          updatedAt: new Date(e.updatedAt),
          deletedAt: e.deletedAt ? new Date(e.deletedAt) : null,
        })
        .returning({ id: schema.entries.id });
      const id = (row as { id: string }).id;
      entryIds.set(e.id, id);
      if (e.tags.length) await setEntryTags({ ctx, input: { entryId: id, names: e.tags } });
      const attached = e.fileIds.flatMap((f) => fileIds.get(f) ?? []);
      if (attached.length)
        await tx
          .insert(schema.entryFiles)
          .values(attached.map((fileId) => ({ userId, entryId: id, fileId })))
          .onConflictDoNothing();
      if (!e.deletedAt) live.push({ id, title: e.title, content: e.content });
    }
    for (const l of links) {
      await tx.insert(schema.links).values({
        userId,
        entryId: l.entryId ? (entryIds.get(l.entryId) ?? null) : null,
        url: l.url,
        title: l.title,
        description: l.description,
      });
    }
    let galleryCount = 0;
    for (const g of galleries) {
      if (g.deletedAt) continue;
      const [row] = await tx
        .insert(schema.galleries)
        .values({
          userId,
          title: g.title,
          description: g.description,
          slug: randomBytes(16).toString("base64url"),
          visibility: "private",
          coverFileId: g.coverFileId ? (fileIds.get(g.coverFileId) ?? null) : null,
        })
        .returning({ id: schema.galleries.id });
      const galleryId = (row as { id: string }).id;
      const items = g.items.flatMap((i) => {
        const fileId = fileIds.get(i.fileId);
        return fileId ? [{ userId, galleryId, fileId, caption: i.caption, position: i.position }] : [];
      });
      if (items.length) await tx.insert(schema.galleryItems).values(items);
      galleryCount++;
    }
    for (const c of conversations) {
      const [row] = await tx
        .insert(schema.conversations)
        .values({ userId, title: c.title, createdAt: new Date(c.createdAt), updatedAt: new Date(c.updatedAt) })
        .returning({ id: schema.conversations.id });
      const conversationId = (row as { id: string }).id;
      if (c.messages.length) {
        await tx.insert(schema.messages).values(
          c.messages.map((m) => ({
            userId,
            conversationId,
            role: m.role,
            content: m.content,
            toolCalls: m.toolCalls ?? null,
            citations: m.citations ?? null,
            createdAt: new Date(m.createdAt),
          })),
        );
      }
    }
    if (consents.length) {
      await tx
        .insert(schema.userConsent)
        .values(consents.map((c) => ({ userId, purpose: c.type, granted: c.granted, createdAt: new Date(c.at) })));
    }
    await audit({
      ctx,
      input: { userId, action: "privacy.imported", metadata: { entries: entries.length, files: fileIds.size }, ...input.client },
    });
    await wrote(ctx);
    return { live, galleryCount };
  });
  for (const e of live.live) await entryWritten({ ctx, input: e });
  return {
    entries: entries.length,
    topics: topics.length,
    links: links.length,
    files: fileIds.size,
    galleries: live.galleryCount,
    conversations: conversations.length,
    consents: consents.length,
  };
}
