import { schema, type Tx } from "@tcc/db";
import { and, eq, inArray, sql } from "drizzle-orm";

/** Tag names as the user typed them, deduplicated case-insensitively, first spelling wins. */
export function uniqueTagNames(names: string[]): string[] {
  const seen = new Map<string, string>();
  for (const raw of names) {
    const name = raw.trim();
    if (name && !seen.has(name.toLowerCase())) seen.set(name.toLowerCase(), name);
  }
  return [...seen.values()];
}

/** Ids of the user's tags with these names, creating the missing ones. */
export async function ensureTags(tx: Tx, userId: string, names: string[]): Promise<string[]> {
  const unique = uniqueTagNames(names);
  if (unique.length === 0) return [];
  await tx
    .insert(schema.tags)
    .values(unique.map((name) => ({ userId, name })))
    .onConflictDoNothing();
  const rows = await tx
    .select({ id: schema.tags.id })
    .from(schema.tags)
    .where(
      and(
        eq(schema.tags.userId, userId),
        inArray(
          sql`lower(${schema.tags.name})`,
          unique.map((n) => n.toLowerCase()),
        ),
      ),
    );
  return rows.map((r) => r.id);
}

/** Tags a new entry (it has none yet, so nothing to remove). */
export async function attachTags(tx: Tx, userId: string, entryId: string, names: string[]): Promise<void> {
  const tagIds = await ensureTags(tx, userId, names);
  if (tagIds.length) await tx.insert(schema.entryTags).values(tagIds.map((tagId) => ({ userId, entryId, tagId })));
}

/** Makes an existing entry's tag set exactly `names`. */
export async function setEntryTags(tx: Tx, userId: string, entryId: string, names: string[]): Promise<void> {
  await tx.delete(schema.entryTags).where(and(eq(schema.entryTags.userId, userId), eq(schema.entryTags.entryId, entryId)));
  await attachTags(tx, userId, entryId, names);
}
