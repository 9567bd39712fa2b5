import { schema } from "@tcc/db";
import { and, eq, isNull, sql } from "drizzle-orm";
import { verifyPassword } from "../auth/passwords";
import type { Call } from "../context";
import { withTransaction } from "../db/transaction";
import { AppError } from "../errors";
import { audit, type ClientMeta } from "./audit";
import { openSecret, sealSecret } from "./mfa-crypto";
import {
  checkTotp,
  clearAttempts,
  newRecoveryCodes,
  otpauth,
  reauthenticationFacts,
  remainingRecoveryCodes,
  type SecondFactor,
  spendAttempt,
  TOTP_PARAMS,
  totpFor,
  verifySecondFactor,
} from "./mfa-factors";

export interface MfaStatus {
  enabled: boolean;
  /** An enrolment was started and awaits its confirming code. */
  pending: boolean;
  enabledAt: string | null;
  recoveryCodesRemaining: number;
}

export async function mfaStatus({ ctx }: Call): Promise<MfaStatus> {
  const [row] = await ctx.s.db.primary.select().from(schema.userMfa).where(eq(schema.userMfa.userId, ctx.userId));
  return {
    enabled: Boolean(row?.confirmedAt),
    pending: Boolean(row && !row.confirmedAt),
    enabledAt: row?.confirmedAt?.toISOString() ?? null,
    recoveryCodesRemaining: row?.confirmedAt ? await remainingRecoveryCodes(ctx, ctx.userId) : 0,
  };
}

/**
 * Starts (or restarts) TOTP enrolment: a new secret, returned once with its otpauth:// URI
 * (the QR code's content). MFA is not on until confirmTotp proves the app holds it.
 */
export async function startTotp({ ctx, input }: Call<{ client: ClientMeta }>) {
  const { s, userId } = ctx;
  const [user] = await s.db.primary.select({ email: schema.users.email }).from(schema.users).where(eq(schema.users.id, userId));
  if (!user) throw new AppError("NOT_FOUND", "User not found");
  const secret = new (await otpauth()).Secret({ size: 20 }).base32;
  const sealed = sealSecret(s, userId, secret);
  const [row] = await s.db.primary
    .insert(schema.userMfa)
    .values({ userId, secret: sealed })
    .onConflictDoUpdate({
      target: schema.userMfa.userId,
      set: { secret: sealed, createdAt: s.clock() },
      where: isNull(schema.userMfa.confirmedAt),
    })
    .returning({ userId: schema.userMfa.userId });
  if (!row) throw new AppError("CONFLICT", "Two-factor authentication is already on; disable it first");
  await audit({ ctx, input: { userId, action: "mfa.enrolment_started", ...input.client } });
  return { secret, otpauthUri: (await totpFor(s.env.MFA_ISSUER, user.email, secret)).toString(), ...TOTP_PARAMS };
}

/** Confirms enrolment with a current code: MFA is on, and ten recovery codes are returned once. */
export async function confirmTotp({ ctx, input }: Call<{ code: string; client: ClientMeta }>): Promise<{ recoveryCodes: string[] }> {
  const { s, userId } = ctx;
  const [row] = await s.db.primary.select().from(schema.userMfa).where(eq(schema.userMfa.userId, userId));
  if (!row) throw new AppError("CONFLICT", "Start enrolment first (POST /v1/me/mfa/totp)");
  if (row.confirmedAt) throw new AppError("CONFLICT", "Two-factor authentication is already on");
  await spendAttempt(ctx, userId);
  const secret = openSecret(s, userId, row.secret);
  if (!secret || !(await checkTotp(ctx, userId, secret, input.code))) {
    await audit({ ctx, input: { userId, action: "mfa.failed", metadata: { method: "totp", during: "enrolment" }, ...input.client } });
    throw new AppError("UNAUTHORIZED", "Invalid authentication code");
  }
  await clearAttempts(ctx, userId);
  const codes = newRecoveryCodes();
  await withTransaction(ctx, async (ctx) => {
    const t = schema.userMfa;
    const confirmed = await ctx.tx.db
      .update(t)
      .set({ confirmedAt: s.clock() })
      // The secret checked is the one confirmed: a restarted enrolment in between loses.
      .where(and(eq(t.userId, userId), isNull(t.confirmedAt), eq(t.secret, row.secret)))
      .returning({ userId: t.userId });
    if (!confirmed.length) throw new AppError("CONFLICT", "The enrolment changed meanwhile; start again");
    await replaceRecoveryCodes(ctx, codes.hashes);
    await audit({ ctx, input: { userId, action: "mfa.enabled", metadata: { method: "totp" }, ...input.client } });
  });
  return { recoveryCodes: codes.plain };
}

async function replaceRecoveryCodes(ctx: Parameters<Parameters<typeof withTransaction>[1]>[0] & { userId: string }, hashes: string[]) {
  await ctx.tx.db.delete(schema.mfaRecoveryCodes).where(eq(schema.mfaRecoveryCodes.userId, ctx.userId));
  await ctx.tx.db.insert(schema.mfaRecoveryCodes).values(hashes.map((codeHash) => ({ userId: ctx.userId, codeHash })));
}

/** Turns MFA off: needs the password (when the account has one) and a current or recovery code. */
export async function disableMfa({ ctx, input }: Call<SecondFactor & { password?: string; client: ClientMeta }>): Promise<void> {
  const { s, userId } = ctx;
  const user = await reauthenticationFacts(s, userId);
  if (!user?.mfa) throw new AppError("CONFLICT", "Two-factor authentication is not on");
  // One attempt for the password and the code together, so this route cannot be used to
  // guess passwords freely either.
  await spendAttempt(ctx, userId);
  if (user.passwordHash) {
    if (!input.password || !(await verifyPassword(input.password, user.passwordHash))) {
      await audit({ ctx, input: { userId, action: "mfa.failed", metadata: { method: "password", during: "disable" }, ...input.client } });
      throw new AppError("UNAUTHORIZED", "Password is incorrect");
    }
  }
  await verifySecondFactor({
    ctx,
    input: { userId, code: input.code, recoveryCode: input.recoveryCode, client: input.client, attemptSpent: true },
  });
  await withTransaction(ctx, async (ctx) => {
    await ctx.tx.db.delete(schema.userMfa).where(eq(schema.userMfa.userId, userId));
    await ctx.tx.db.delete(schema.mfaRecoveryCodes).where(eq(schema.mfaRecoveryCodes.userId, userId));
    await audit({ ctx, input: { userId, action: "mfa.disabled", ...input.client } });
  });
}

/** New recovery codes (the old ones stop working), after a current code. */
export async function regenerateRecoveryCodes({
  ctx,
  input,
}: Call<{ code: string; client: ClientMeta }>): Promise<{ recoveryCodes: string[] }> {
  const { userId } = ctx;
  const on = await ctx.s.db.primary
    .select({ n: sql<number>`1` })
    .from(schema.userMfa)
    .where(and(eq(schema.userMfa.userId, userId), sql`${schema.userMfa.confirmedAt} is not null`));
  if (!on.length) throw new AppError("CONFLICT", "Two-factor authentication is not on");
  await verifySecondFactor({ ctx, input: { userId, code: input.code, client: input.client } });
  const codes = newRecoveryCodes();
  await withTransaction(ctx, async (ctx) => {
    await replaceRecoveryCodes(ctx, codes.hashes);
    await audit({ ctx, input: { userId, action: "mfa.recovery_codes_regenerated", ...input.client } });
  });
  return { recoveryCodes: codes.plain };
}
