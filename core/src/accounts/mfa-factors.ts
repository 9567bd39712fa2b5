import { randomBytes } from "node:crypto";
import { schema } from "@tcc/db";
import { and, eq, isNull, sql } from "drizzle-orm";
import { sha256 } from "../auth/secrets";
import type { Call, SystemCtx } from "../context";
import { primaryDb } from "../db/transaction";
import { AppError } from "../errors";
import { lazyModule } from "../lib/lazy-module";
import { audit, type ClientMeta } from "./audit";
import { openSecret } from "./mfa-crypto";

// RFC 6238 with the parameters every authenticator app supports.
export const TOTP_PARAMS = { algorithm: "SHA1", digits: 6, period: 30 } as const;

/** Loaded by the first TOTP enrolment or check, not at start-up (see lib/lazy-module.ts). */
export const otpauth = lazyModule(() => import("otpauth"));

export async function totpFor(issuer: string, label: string, secret: string) {
  const { Secret, TOTP } = await otpauth();
  return new TOTP({ issuer, label, ...TOTP_PARAMS, secret: Secret.fromBase32(secret) });
}

export interface SecondFactor {
  code?: string;
  recoveryCode?: string;
}

const failureKey = (userId: string) => `tcc:mfa:fail:${userId}`;

/**
 * Counts an MFA attempt before any code is checked, in one atomic increment, so parallel
 * guesses cannot all slip under the limit: at most MFA_MAX_FAILURES codes are checked per
 * lockout window (a correct one resets the count).
 */
export async function spendAttempt(ctx: SystemCtx, userId: string): Promise<void> {
  const { s } = ctx;
  const attempt = await s.security.incr(failureKey(userId), s.env.MFA_LOCKOUT_S);
  if (attempt > s.env.MFA_MAX_FAILURES) {
    throw new AppError("RATE_LIMITED", "Too many wrong codes; try again later", undefined, { "Retry-After": String(s.env.MFA_LOCKOUT_S) });
  }
}

export const clearAttempts = (ctx: SystemCtx, userId: string) => ctx.s.security.del([failureKey(userId)]);

/** A TOTP code within one step of now, accepted once: its replay, or a parallel twin, is refused. */
export async function checkTotp(ctx: SystemCtx, userId: string, secret: string, code: string): Promise<boolean> {
  const { Secret, TOTP } = await otpauth();
  const now = ctx.s.clock().getTime();
  const delta = TOTP.validate({ token: code, secret: Secret.fromBase32(secret), ...TOTP_PARAMS, timestamp: now, window: 1 });
  if (delta === null) return false;
  const step = Math.floor(now / 1000 / TOTP_PARAMS.period) + delta;
  return (await ctx.s.security.incr(`tcc:mfa:used:${userId}:${step}`, TOTP_PARAMS.period * 4)) === 1;
}

const normaliseRecovery = (code: string) => code.toLowerCase().replace(/[^a-z0-9]/g, "");

/** Ten one-time codes like `k3f9q-x7m2p`: 50 random bits each, stored as SHA-256. */
export function newRecoveryCodes(): { plain: string[]; hashes: string[] } {
  const alphabet = "abcdefghijkmnpqrstuvwxyz23456789";
  const plain = Array.from({ length: 10 }, () => {
    const chars = [...randomBytes(10)].map((b) => alphabet[b % 32]).join("");
    return `${chars.slice(0, 5)}-${chars.slice(5)}`;
  });
  return { plain, hashes: plain.map((p) => sha256(normaliseRecovery(p))) };
}

/** Marks a recovery code used, atomically: of two parallel uses of one code, one wins. */
async function useRecoveryCode(ctx: SystemCtx, userId: string, code: string): Promise<boolean> {
  const t = schema.mfaRecoveryCodes;
  const used = await primaryDb(ctx)
    .update(t)
    .set({ usedAt: ctx.s.clock() })
    .where(and(eq(t.userId, userId), eq(t.codeHash, sha256(normaliseRecovery(code))), isNull(t.usedAt)))
    .returning({ id: t.id });
  return used.length > 0;
}

export async function remainingRecoveryCodes(ctx: SystemCtx, userId: string): Promise<number> {
  const t = schema.mfaRecoveryCodes;
  const [row] = await primaryDb(ctx)
    .select({ n: sql<number>`count(*)::int` })
    .from(t)
    .where(and(eq(t.userId, userId), isNull(t.usedAt)));
  return row?.n ?? 0;
}

/** The user's confirmed authenticator secret, or null when MFA is off. */
export async function confirmedSecret(ctx: SystemCtx, userId: string): Promise<string | null> {
  const [row] = await primaryDb(ctx).select().from(schema.userMfa).where(eq(schema.userMfa.userId, userId));
  if (!row?.confirmedAt) return null;
  return openSecret(ctx.s, userId, row.secret);
}

export async function mfaEnabled(ctx: SystemCtx, userId: string): Promise<boolean> {
  const [row] = await primaryDb(ctx)
    .select({ on: schema.userMfa.confirmedAt })
    .from(schema.userMfa)
    .where(eq(schema.userMfa.userId, userId));
  return Boolean(row?.on);
}

/**
 * Checks a second factor (a TOTP code or a recovery code) of a user whose MFA is on; throttled
 * per user. Throws UNAUTHORIZED for a wrong code, RATE_LIMITED past the limit.
 */
export async function verifySecondFactor({
  ctx,
  input: { userId, code, recoveryCode, client, attemptSpent },
}: Call<SecondFactor & { userId: string; client: ClientMeta; attemptSpent?: boolean }, SystemCtx>): Promise<"totp" | "recovery_code"> {
  // One attempt per request: a caller that also checked a password has counted it already.
  if (!attemptSpent) await spendAttempt(ctx, userId);
  const secret = await confirmedSecret(ctx, userId);
  let ok = false;
  if (secret && code) ok = await checkTotp(ctx, userId, secret, code);
  else if (secret && recoveryCode) ok = await useRecoveryCode(ctx, userId, recoveryCode);
  if (!ok) {
    await audit({ ctx, input: { userId, action: "mfa.failed", metadata: { method: code ? "totp" : "recovery_code" }, ...client } });
    throw new AppError("UNAUTHORIZED", "Invalid authentication code");
  }
  await clearAttempts(ctx, userId);
  if (recoveryCode) {
    const remaining = await remainingRecoveryCodes(ctx, userId);
    await audit({ ctx, input: { userId, action: "mfa.recovery_code_used", metadata: { remaining }, ...client } });
    return "recovery_code";
  }
  return "totp";
}

/** What re-authentication checks against: the password hash (null for OIDC-only accounts) and whether MFA is on. */
export async function reauthenticationFacts(
  s: SystemCtx["s"],
  userId: string,
): Promise<{ passwordHash: string | null; mfa: Date | null } | undefined> {
  const [user] = await s.db.primary
    .select({ passwordHash: schema.users.passwordHash, mfa: schema.userMfa.confirmedAt })
    .from(schema.users)
    .leftJoin(schema.userMfa, eq(schema.userMfa.userId, schema.users.id))
    .where(eq(schema.users.id, userId));
  return user;
}
