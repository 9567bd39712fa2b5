import { schema } from "@tcc/db";
import { sql } from "drizzle-orm";
import { burnPasswordCheck, hashPassword, verifyPassword } from "../auth/passwords";
import { sha256 } from "../auth/secrets";
import type { Call, SystemCtx } from "../context";
import { AppError } from "../errors";
import { audit, type ClientMeta } from "./audit";
import { completeChallenge, createChallenge, type MfaChallenge } from "./mfa-challenge";
import { mfaEnabled, type SecondFactor } from "./mfa-factors";
import { startSession, type TokenPair } from "./sessions";

export interface PublicUser {
  id: string;
  email: string;
  displayName: string | null;
  role: "user" | "admin";
  createdAt: string;
}

const toPublic = (u: typeof schema.users.$inferSelect): PublicUser => ({
  id: u.id,
  email: u.email,
  displayName: u.displayName,
  role: u.role,
  createdAt: u.createdAt.toISOString(),
});

export const normaliseEmail = (email: string) => email.trim().toLowerCase();

export async function register({
  ctx,
  input: { client: meta, ...input },
}: Call<{ email: string; password: string; displayName?: string; client: ClientMeta }, SystemCtx>): Promise<
  { user: PublicUser } & TokenPair
> {
  const { s } = ctx;
  // A 409 tells whether an email has an account, so each address gets only a few of them per
  // window (then 429): reserved before the attempt, given back when it creates an account.
  const conflictKey = `tcc:regc:${meta.ip ?? "unknown"}`;
  if ((await s.security.incr(conflictKey, s.env.REGISTER_CONFLICT_WINDOW_S)) > s.env.REGISTER_MAX_CONFLICTS) {
    await s.security.decr(conflictKey);
    throw new AppError("RATE_LIMITED", "Too many sign-ups for existing accounts from this address; try again later", undefined, {
      "Retry-After": String(s.env.REGISTER_CONFLICT_WINDOW_S),
    });
  }
  const passwordHash = await hashPassword(input.password);
  let user: typeof schema.users.$inferSelect | undefined;
  try {
    [user] = await s.db.primary
      .insert(schema.users)
      .values({ email: normaliseEmail(input.email), passwordHash, displayName: input.displayName ?? null })
      .onConflictDoNothing()
      .returning();
  } catch (err) {
    await s.security.decr(conflictKey);
    throw err;
  }
  if (!user) throw new AppError("CONFLICT", "An account with this email already exists");
  await s.security.decr(conflictKey);
  await audit({ ctx, input: { userId: user.id, action: "auth.register", ...meta } });
  return { user: toPublic(user), ...(await startSession({ ctx, input: { userId: user.id, client: meta } })) };
}

const failureKey = (email: string) => `tcc:lf:${sha256(email)}`;

/**
 * Password login, throttled per account: after LOGIN_MAX_FAILURES failures the account
 * refuses logins for LOGIN_LOCKOUT_S (per-IP throttling is the auth rate limit).
 *
 * An attempt is counted before the password is checked, in one atomic increment, so parallel
 * guesses cannot all read "4 failures" and all reach argon2: at most LOGIN_MAX_FAILURES of them
 * are verified per lockout window. A correct password clears the count.
 */
export async function login({
  ctx,
  input: { client: meta, ...input },
}: Call<{ email: string; password: string; client: ClientMeta }, SystemCtx>): Promise<({ user: PublicUser } & TokenPair) | MfaChallenge> {
  const { s } = ctx;
  const email = normaliseEmail(input.email);
  const key = failureKey(email);
  const attempt = await s.security.incr(key, s.env.LOGIN_LOCKOUT_S);
  if (attempt > s.env.LOGIN_MAX_FAILURES) {
    throw new AppError("RATE_LIMITED", "Too many failed logins for this account; try again later", undefined, {
      "Retry-After": String(s.env.LOGIN_LOCKOUT_S),
    });
  }
  const [user] = await s.db.primary
    .select()
    .from(schema.users)
    .where(sql`lower(${schema.users.email}) = ${email} and ${schema.users.deletedAt} is null`);
  let ok = false;
  if (user?.passwordHash) ok = await verifyPassword(input.password, user.passwordHash);
  else await burnPasswordCheck(input.password);
  if (!user || !ok) {
    // The attempt counted above stays counted: it was a failure.
    await audit({ ctx, input: { userId: user?.id, action: "auth.login_failed", ...meta, metadata: { emailHash: sha256(email) } } });
    throw new AppError("UNAUTHORIZED", "Email or password is incorrect");
  }
  await s.security.del([key]);
  if (user.suspendedAt) {
    await audit({ ctx, input: { userId: user.id, action: "auth.login_refused", metadata: { reason: "suspended" }, ...meta } });
    throw new AppError("FORBIDDEN", "This account is suspended");
  }
  if (await mfaEnabled(ctx, user.id)) return createChallenge({ ctx, input: { userId: user.id, via: "password", client: meta } });
  await audit({ ctx, input: { userId: user.id, action: "auth.login", ...meta } });
  return { user: toPublic(user), ...(await startSession({ ctx, input: { userId: user.id, client: meta } })) };
}

/** The second step of a sign-in with MFA on: the challenge from the first step and a code. */
export async function loginWithSecondFactor({
  ctx,
  input,
}: Call<SecondFactor & { mfaToken: string; client: ClientMeta }, SystemCtx>): Promise<{ user: PublicUser } & TokenPair> {
  const { userId, ...tokens } = await completeChallenge({ ctx, input });
  return { user: await me({ ctx: { ...ctx, userId } }), ...tokens };
}

export async function me({ ctx: { s, userId } }: Call): Promise<PublicUser> {
  const [user] = await s.db.primary
    .select()
    .from(schema.users)
    .where(sql`${schema.users.id} = ${userId} and ${schema.users.deletedAt} is null`);
  if (!user) throw new AppError("NOT_FOUND", "User not found");
  return toPublic(user);
}
