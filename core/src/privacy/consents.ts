import { schema } from "@tcc/db";
import { and, desc, eq } from "drizzle-orm";
import { audit, type ClientMeta } from "../accounts/audit";
import type { Call } from "../context";

/** What a user can consent to. A closed set: a consent nobody defined cannot be granted or withdrawn. */
export const CONSENT_TYPES = ["terms", "privacy_policy", "ai_processing", "product_email", "analytics"] as const;
export type ConsentType = (typeof CONSENT_TYPES)[number];

export interface ConsentRecord {
  id: string;
  type: ConsentType;
  granted: boolean;
  at: string;
}

const c = schema.userConsent;
const toRecord = (r: typeof c.$inferSelect): ConsentRecord => ({
  id: r.id,
  type: r.purpose as ConsentType,
  granted: r.granted,
  at: r.createdAt.toISOString(),
});

/** Records a grant or a withdrawal; earlier records stay, so the history is complete. */
export async function recordConsent({
  ctx,
  input,
}: Call<{ type: ConsentType; granted: boolean; client?: ClientMeta }>): Promise<ConsentRecord> {
  const [row] = await ctx.s.db.primary
    .insert(c)
    .values({ userId: ctx.userId, purpose: input.type, granted: input.granted, createdAt: ctx.s.clock() })
    .returning();
  await audit({
    ctx,
    input: {
      userId: ctx.userId,
      action: input.granted ? "consent.granted" : "consent.withdrawn",
      targetType: "consent",
      targetId: input.type,
      ...input.client,
    },
  });
  return toRecord(row as typeof c.$inferSelect);
}

/** The current state of each consent ever recorded (the latest record per type), and the whole history, newest first. */
export async function listConsents({
  ctx,
  input,
}: Call<{ type?: ConsentType }>): Promise<{ current: ConsentRecord[]; history: ConsentRecord[] }> {
  const rows = await ctx.s.db.primary
    .select()
    .from(c)
    .where(and(eq(c.userId, ctx.userId), input?.type ? eq(c.purpose, input.type) : undefined))
    .orderBy(desc(c.createdAt), desc(c.id));
  const history = rows.map(toRecord);
  const current = new Map<string, ConsentRecord>();
  for (const r of history) if (!current.has(r.type)) current.set(r.type, r);
  return { current: CONSENT_TYPES.flatMap((t) => current.get(t) ?? []), history };
}
