import { schema } from "@tcc/db";
import { and, eq, isNull } from "drizzle-orm";
import type { Call, SystemCtx } from "../context";
import { sha256 } from "./secrets";

/** Where a presented key's lookup is cached; revoking the key deletes it. */
export const apiKeyCacheKey = (hash: string) => `tcc:ak:${hash}`;

interface ResolvedKey {
  id: string;
  userId: string;
  scopes: string[];
  expiresAt: number | null;
}

/**
 * Looks a presented key up by its hash. Results (including "no such key") are cached for a
 * minute so API-key traffic does not hit the database per request; revocation clears the entry.
 */
export async function resolveApiKey({ ctx, input: { presented } }: Call<{ presented: string }, SystemCtx>): Promise<ResolvedKey | null> {
  const { s } = ctx;
  const hash = sha256(presented);
  const cached = await s.kv.get(apiKeyCacheKey(hash));
  let key: ResolvedKey | null;
  if (cached !== null) {
    key = cached === "none" ? null : (JSON.parse(cached) as ResolvedKey);
  } else {
    // A suspended or deleted account's keys stop working with it (suspension clears this cache).
    const [row] = await s.db.primary
      .select({ id: schema.apiKeys.id, userId: schema.apiKeys.userId, scopes: schema.apiKeys.scopes, expiresAt: schema.apiKeys.expiresAt })
      .from(schema.apiKeys)
      .innerJoin(schema.users, eq(schema.users.id, schema.apiKeys.userId))
      .where(
        and(
          eq(schema.apiKeys.keyHash, hash),
          isNull(schema.apiKeys.revokedAt),
          isNull(schema.users.suspendedAt),
          isNull(schema.users.deletedAt),
        ),
      );
    key = row ? { id: row.id, userId: row.userId, scopes: row.scopes, expiresAt: row.expiresAt?.getTime() ?? null } : null;
    await s.kv.set(apiKeyCacheKey(hash), key ? JSON.stringify(key) : "none", 60);
    if (row) await s.db.primary.update(schema.apiKeys).set({ lastUsedAt: s.clock() }).where(eq(schema.apiKeys.id, row.id));
  }
  if (key && key.expiresAt !== null && key.expiresAt <= s.clock().getTime()) return null;
  return key;
}
