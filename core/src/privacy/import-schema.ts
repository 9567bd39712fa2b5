import { z } from "zod";
import { CONSENT_TYPES } from "./consents";

// What import accepts from an archive: the export's own shapes, checked with the API's limits,
// so an edited or foreign archive cannot store what the routes would refuse.
const clean = (max: number) =>
  z
    .string()
    .max(max)
    .refine((s) => !s.includes("\u0000"), "must not contain NUL characters");
const ts = z.string().datetime({ offset: true });
const id = z.string().uuid();

export const Manifest = z.object({ format: z.literal("tcc-log-export"), version: z.literal(1) }).passthrough();

export const ArchiveEntries = z.array(
  z
    .object({
      id,
      title: clean(500).min(1),
      content: clean(1024 * 1024),
      topicId: id.nullable(),
      tags: z.array(clean(64).min(1)).max(50),
      fileIds: z.array(id).max(100),
      occurredAt: ts,
      createdAt: ts,
      updatedAt: ts,
      deletedAt: ts.nullable(),
    })
    .passthrough(),
);
export const ArchiveTopics = z.array(z.object({ id, name: clean(200).min(1), description: clean(2000).nullable() }).passthrough());
export const ArchiveLinks = z.array(
  z
    .object({ id, entryId: id.nullable(), url: clean(2048).url(), title: clean(500).nullable(), description: clean(5000).nullable() })
    .passthrough(),
);
export const ArchiveFiles = z.array(
  z
    .object({
      id,
      path: z.string().max(200).nullable(),
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
      mime: z.string().max(255),
      originalName: clean(1024).nullable(),
      metadata: z.record(z.string(), z.unknown()).optional(),
      deletedAt: ts.nullable().optional(),
    })
    .passthrough(),
);
export const ArchiveGalleries = z.array(
  z
    .object({
      id,
      title: clean(500).min(1),
      description: clean(5000).nullable(),
      coverFileId: id.nullable(),
      deletedAt: ts.nullable(),
      items: z.array(z.object({ fileId: id, caption: clean(2000).nullable(), position: z.number().int() }).passthrough()).max(10_000),
    })
    .passthrough(),
);
export const ArchiveConversations = z.array(
  z
    .object({
      id,
      title: clean(500).nullable(),
      createdAt: ts,
      updatedAt: ts,
      messages: z.array(
        z
          .object({
            role: z.enum(["system", "user", "assistant", "tool"]),
            content: clean(1024 * 1024),
            toolCalls: z.unknown().optional(),
            citations: z.unknown().optional(),
            createdAt: ts,
          })
          .passthrough(),
      ),
    })
    .passthrough(),
);
export const ArchiveConsents = z.array(z.object({ type: z.enum(CONSENT_TYPES), granted: z.boolean(), at: ts }).passthrough());
