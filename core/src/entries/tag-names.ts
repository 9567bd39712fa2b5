import { schema, type Tx } from "@tcc/db";
import { and, eq, inArray, sql } from "drizzle-orm";
import type { Call } from "../context";
import type { InTransaction } from "../db/transaction";

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
async function ensureTags(tx: Tx, userId: string, names: string[]): Promise<string[]> {
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

/** Makes an existing entry's tag set exactly `names`, in the caller's transaction. */
export async function setEntryTags({ ctx, input }: Call<{ entryId: string; names: string[] }, InTransaction>): Promise<void> {
  const tx = ctx.tx.db;
  const { userId } = ctx;
  const { entryId } = input;
  await tx.delete(schema.entryTags).where(and(eq(schema.entryTags.userId, userId), eq(schema.entryTags.entryId, entryId)));
  const tagIds = await ensureTags(tx, userId, input.names);
  if (tagIds.length) await tx.insert(schema.entryTags).values(tagIds.map((tagId) => ({ userId, entryId, tagId })));
}
