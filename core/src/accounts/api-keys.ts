import { schema } from "@tcc/db";
import type { Scope } from "@tcc/shared/contracts";
import { and, desc, eq, isNull } from "drizzle-orm";
import { apiKeyCacheKey } from "../auth/api-key-lookup";
import { API_KEY_PREFIX } from "../auth/identify";
import { randomToken, sha256 } from "../auth/secrets";
import type { Call } from "../context";
import { notFound } from "../errors";
import { audit, type ClientMeta } from "./audit";

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

/** Creates a key; the plain key is returned here once and never stored. */
export async function createApiKey({ ctx, input }: Call<{ name: string; scopes: Scope[]; expiresAt?: string; client?: ClientMeta }>) {
  const key = randomToken(API_KEY_PREFIX);
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
  const created = row as typeof schema.apiKeys.$inferSelect;
  await audit({
    ctx,
    input: {
      userId: ctx.userId,
      action: "api_key.created",
      targetType: "api_key",
      targetId: created.id,
      metadata: { scopes: created.scopes },
      ...input.client,
    },
  });
  return { ...view(created), key };
}

export async function listApiKeys({ ctx }: Call): Promise<ApiKeyView[]> {
  const rows = await ctx.s.db.primary
    .select()
    .from(schema.apiKeys)
    .where(eq(schema.apiKeys.userId, ctx.userId))
    .orderBy(desc(schema.apiKeys.createdAt));
  return rows.map(view);
}

export async function revokeApiKey({ ctx, input: { id, client } }: Call<{ id: string; client?: ClientMeta }>): Promise<void> {
  const [row] = await ctx.s.db.primary
    .update(schema.apiKeys)
    .set({ revokedAt: ctx.s.clock() })
    .where(and(eq(schema.apiKeys.userId, ctx.userId), eq(schema.apiKeys.id, id), isNull(schema.apiKeys.revokedAt)))
    .returning();
  if (!row) throw notFound("API key");
  await ctx.s.kv.del([apiKeyCacheKey(row.keyHash)]);
  await audit({ ctx, input: { userId: ctx.userId, action: "api_key.revoked", targetType: "api_key", targetId: id, ...client } });
}
