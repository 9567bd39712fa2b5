import { schema } from "@tcc/db";
import type { Scope } from "@tcc/shared/contracts";
import { and, desc, eq, isNull } from "drizzle-orm";
import { randomToken, sha256 } from "../auth/secrets";
import type { Ctx, Services } from "../context";
import { notFound } from "../errors";

export interface ApiKeyView {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
}

const view = (k: typeof schema.apiKeys.$inferSelect): ApiKeyView => ({
  id: k.id,
  name: k.name,
  prefix: k.prefix,
  scopes: k.scopes,
  createdAt: k.createdAt.toISOString(),
  lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
  expiresAt: k.expiresAt?.toISOString() ?? null,
  revokedAt: k.revokedAt?.toISOString() ?? null,
});

const cacheKey = (hash: string) => `tcc:ak:${hash}`;

/** Creates a key; the plain key is returned here once and never stored. */
export async function createApiKey(ctx: Ctx, input: { name: string; scopes: Scope[]; expiresAt?: string }) {
  const key = randomToken("tcc_");
  const [row] = await ctx.s.db.primary
    .insert(schema.apiKeys)
    .values({
      userId: ctx.userId,
      name: input.name,
      prefix: key.slice(0, 12),
      keyHash: sha256(key),
      scopes: [...new Set(input.scopes)],
      expiresAt: input.expiresAt ? new Date(input.expiresAt) : null,
    })
    .returning();
  return { ...view(row as typeof schema.apiKeys.$inferSelect), key };
}

export async function listApiKeys(ctx: Ctx): Promise<ApiKeyView[]> {
  const rows = await ctx.s.db.primary
    .select()
    .from(schema.apiKeys)
    .where(eq(schema.apiKeys.userId, ctx.userId))
    .orderBy(desc(schema.apiKeys.createdAt));
  return rows.map(view);
}

export async function revokeApiKey(ctx: Ctx, id: string): Promise<void> {
  const [row] = await ctx.s.db.primary
    .update(schema.apiKeys)
    .set({ revokedAt: ctx.s.clock() })
    .where(and(eq(schema.apiKeys.userId, ctx.userId), eq(schema.apiKeys.id, id), isNull(schema.apiKeys.revokedAt)))
    .returning();
  if (!row) throw notFound("API key");
  await ctx.s.kv.del([cacheKey(row.keyHash)]);
}

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
export async function resolveApiKey(s: Services, presented: string): Promise<ResolvedKey | null> {
  const hash = sha256(presented);
  const cached = await s.kv.get(cacheKey(hash));
  let key: ResolvedKey | null;
  if (cached !== null) {
    key = cached === "none" ? null : (JSON.parse(cached) as ResolvedKey);
  } else {
    const [row] = await s.db.primary
      .select()
      .from(schema.apiKeys)
      .where(and(eq(schema.apiKeys.keyHash, hash), isNull(schema.apiKeys.revokedAt)));
    key = row ? { id: row.id, userId: row.userId, scopes: row.scopes, expiresAt: row.expiresAt?.getTime() ?? null } : null;
    await s.kv.set(cacheKey(hash), key ? JSON.stringify(key) : "none", 60);
    if (row) await s.db.primary.update(schema.apiKeys).set({ lastUsedAt: s.clock() }).where(eq(schema.apiKeys.id, row.id));
  }
  if (key && key.expiresAt !== null && key.expiresAt <= s.clock().getTime()) return null;
  return key;
}
