import { schema, type Tx } from "@tcc/db";
import { and, eq, inArray } from "drizzle-orm";
import type { Call } from "../context";
import type { InTransaction } from "../db/transaction";
import { displayName, nameKey } from "../lib/name-key";

export interface TagName {
  /** As shown: trimmed, NFC, the first spelling given. */
  name: string;
  /** As compared (nameKey). */
  key: string;
}

/** By code point, not UTF-16 unit: one total order of keys for every path that inserts tags. */
export const compareTagKeys = (a: { key: string }, b: { key: string }) => {
  const x = [...a.key];
  const y = [...b.key];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = (x[i]?.codePointAt(0) ?? 0) - (y[i]?.codePointAt(0) ?? 0);
    if (d) return d;
  }
  return x.length - y.length;
};

/**
 * Tag names as the user typed them, deduplicated by nameKey (first spelling wins), sorted by key.
 * Every insert of new tags goes in this order, so two requests creating the same new tags wait
 * for each other instead of deadlocking on the unique index.
 */
export function uniqueTagNames(names: string[]): TagName[] {
  const seen = new Map<string, TagName>();
  for (const raw of names) {
    const name = displayName(raw);
    const key = nameKey(name);
    if (name && !seen.has(key)) seen.set(key, { name, key });
  }
  return [...seen.values()].sort(compareTagKeys);
}

/** Ids of the user's tags with these names, creating the missing ones. */
async function ensureTags(tx: Tx, userId: string, names: string[]): Promise<string[]> {
  const unique = uniqueTagNames(names);
  if (unique.length === 0) return [];
  await tx
    .insert(schema.tags)
    .values(unique.map(({ name, key }) => ({ userId, name, nameKey: key })))
    .onConflictDoNothing();
  const rows = await tx
    .select({ id: schema.tags.id })
    .from(schema.tags)
    .where(
      and(
        eq(schema.tags.userId, userId),
        inArray(
          schema.tags.nameKey,
          unique.map((n) => n.key),
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
