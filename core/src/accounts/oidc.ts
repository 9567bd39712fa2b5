import { schema } from "@tcc/db";
import { and, desc, eq, isNull, sql } from "drizzle-orm";
import { verifyPassword } from "../auth/passwords";
import { randomToken, sha256 } from "../auth/secrets";
import type { Call, SystemCtx } from "../context";
import { withTransaction } from "../db/transaction";
import { AppError, notFound } from "../errors";
import { me, type PublicUser } from "./accounts";
import { audit, type ClientMeta } from "./audit";
import { createChallenge, type MfaChallenge } from "./mfa-challenge";
import { clearAttempts, mfaEnabled, type SecondFactor, spendAttempt, verifySecondFactor } from "./mfa-factors";
import { authorizationRequest, exchangeCode, providerOf, redirectUriOf } from "./oidc-client";
import { startSession, type TokenPair } from "./sessions";

// OpenID Connect sign-in. An identity (provider + subject) signs in to the account it is linked
// to. It is linked only with the account holder's consent: by a signed-in user starting the flow
// from their account, or, when the provider vouches for an email an account already has, by
// confirming with that account's password (and second factor). Unknown verified emails get a
// new account without a password.

const FLOW_TTL_S = 600;
const stateKey = (state: string) => `tcc:oidc:st:${sha256(state)}`;
const pendingKey = (token: string) => `tcc:oidc:pl:${sha256(token)}`;

interface FlowState {
  provider: string;
  nonce: string;
  codeVerifier: string;
  linkUserId?: string;
}

interface PendingLink {
  userId: string;
  provider: string;
  subject: string;
  email: string;
}

export type SignedIn = { status: "signed_in"; user: PublicUser } & TokenPair;
export type SignInOutcome =
  | SignedIn
  | ({ status: "mfa_required" } & MfaChallenge)
  | { status: "linked"; provider: string }
  | { status: "link_required"; provider: string; email: string; pendingLinkToken: string; expiresIn: number };

/** The provider's authorization URL for the browser; with `linkUserId`, the flow links instead of signing in. */
export async function startOidc({
  ctx,
  input,
}: Call<{ provider: string; linkUserId?: string }, SystemCtx>): Promise<{ authorizationUrl: string; expiresIn: number }> {
  const p = providerOf(ctx.s, input.provider);
  const req = await authorizationRequest(ctx.s, p);
  const saved: FlowState = { provider: p.id, nonce: req.nonce, codeVerifier: req.codeVerifier, linkUserId: input.linkUserId };
  await ctx.s.security.set(stateKey(req.state), JSON.stringify(saved), FLOW_TTL_S);
  return { authorizationUrl: req.authorizationUrl, expiresIn: FLOW_TTL_S };
}

/** Takes a single-use value out of the security store: of two parallel takers, one gets it. */
async function takeOnce<T>(ctx: SystemCtx, key: string, what: string): Promise<T> {
  const raw = await ctx.s.security.get(key);
  if (!raw || (await ctx.s.security.incr(`${key}:used`, FLOW_TTL_S)) !== 1)
    throw new AppError("UNAUTHORIZED", `Unknown, expired or used ${what}`);
  await ctx.s.security.del([key]);
  return JSON.parse(raw) as T;
}

async function signIn(ctx: SystemCtx, userId: string, via: string, client: ClientMeta): Promise<SignInOutcome> {
  const [user] = await ctx.s.db.primary
    .select({ suspendedAt: schema.users.suspendedAt })
    .from(schema.users)
    .where(and(eq(schema.users.id, userId), isNull(schema.users.deletedAt)));
  if (!user) throw new AppError("UNAUTHORIZED", "The linked account no longer exists");
  if (user.suspendedAt) {
    await audit({ ctx, input: { userId, action: "auth.login_refused", metadata: { reason: "suspended", via }, ...client } });
    throw new AppError("FORBIDDEN", "This account is suspended");
  }
  if (await mfaEnabled(ctx, userId)) return { status: "mfa_required", ...(await createChallenge({ ctx, input: { userId, via, client } })) };
  await audit({ ctx, input: { userId, action: "auth.login", metadata: { via }, ...client } });
  const tokens = await startSession({ ctx, input: { userId, client } });
  return { status: "signed_in", user: await me({ ctx: { ...ctx, userId } }), ...tokens };
}

async function link(
  ctx: SystemCtx,
  userId: string,
  provider: string,
  subject: string,
  email: string | null,
  client: ClientMeta,
  via: string,
) {
  const inserted = await ctx.s.db.primary
    .insert(schema.userIdentities)
    .values({ userId, provider, subject, email })
    .onConflictDoNothing()
    .returning({ id: schema.userIdentities.id });
  if (!inserted.length) {
    const [owner] = await ctx.s.db.primary
      .select({ userId: schema.userIdentities.userId })
      .from(schema.userIdentities)
      .where(and(eq(schema.userIdentities.provider, provider), eq(schema.userIdentities.subject, subject)));
    if (owner?.userId !== userId) throw new AppError("CONFLICT", "This sign-in is already linked to another account");
    return;
  }
  await audit({
    ctx,
    input: { userId, action: "oidc.linked", targetType: "identity", targetId: inserted[0]?.id, metadata: { provider, via }, ...client },
  });
}

/** The provider sent the browser back: verify everything, then sign in, link, or ask for consent to link. */
export async function finishOidc({
  ctx,
  input,
}: Call<{ provider: string; query: Record<string, string>; client: ClientMeta }, SystemCtx>): Promise<SignInOutcome> {
  const { s } = ctx;
  const p = providerOf(s, input.provider);
  const flow = await takeOnce<FlowState>(ctx, stateKey(input.query.state ?? ""), "sign-in state");
  if (flow.provider !== p.id) throw new AppError("UNAUTHORIZED", "The sign-in state belongs to another provider");
  if (input.query.error) throw new AppError("UNAUTHORIZED", `The provider refused the sign-in (${input.query.error.slice(0, 100)})`);
  const callback = new URL(redirectUriOf(s, p));
  for (const [k, v] of Object.entries(input.query)) callback.searchParams.set(k, v);
  const id = await exchangeCode(s, p, callback, { ...flow, state: input.query.state ?? "" });
  const via = `oidc:${p.id}`;

  if (flow.linkUserId) {
    await link(ctx, flow.linkUserId, p.id, id.subject, id.email, input.client, "signed_in");
    return { status: "linked", provider: p.id };
  }
  const [known] = await s.db.primary
    .update(schema.userIdentities)
    .set({ lastLoginAt: s.clock() })
    .where(and(eq(schema.userIdentities.provider, p.id), eq(schema.userIdentities.subject, id.subject)))
    .returning({ userId: schema.userIdentities.userId });
  if (known) return signIn(ctx, known.userId, via, input.client);

  if (!id.email || !id.emailVerified) {
    throw new AppError(
      "UNPROCESSABLE",
      "The provider did not vouch for an email address; sign in another way and link this provider from your account",
    );
  }
  const email = id.email;
  const [existing] = await s.db.primary
    .select({ id: schema.users.id })
    .from(schema.users)
    .where(sql`lower(${schema.users.email}) = ${email}`);
  if (existing) {
    // Same verified email as an account here: link only once its holder confirms.
    const pendingLinkToken = randomToken("tccl_");
    const pending: PendingLink = { userId: existing.id, provider: p.id, subject: id.subject, email };
    await s.security.set(pendingKey(pendingLinkToken), JSON.stringify(pending), FLOW_TTL_S);
    await audit({ ctx, input: { userId: existing.id, action: "oidc.link_pending", metadata: { provider: p.id }, ...input.client } });
    return { status: "link_required", provider: p.id, email, pendingLinkToken, expiresIn: FLOW_TTL_S };
  }
  const userId = await withTransaction(ctx, async (ctx) => {
    const [user] = await ctx.tx.db
      .insert(schema.users)
      .values({ email, passwordHash: null, displayName: id.name })
      .onConflictDoNothing()
      .returning({ id: schema.users.id });
    if (!user) throw new AppError("CONFLICT", "An account with this email was just created; sign in again");
    await ctx.tx.db
      .insert(schema.userIdentities)
      .values({ userId: user.id, provider: p.id, subject: id.subject, email, lastLoginAt: s.clock() });
    await audit({ ctx, input: { userId: user.id, action: "auth.register", metadata: { via }, ...input.client } });
    return user.id;
  });
  return signIn(ctx, userId, via, input.client);
}

/** Consent to link a provider to the account with its email: that account's password (and second factor). */
export async function confirmLink({
  ctx,
  input,
}: Call<SecondFactor & { pendingLinkToken: string; password: string; client: ClientMeta }, SystemCtx>): Promise<SignedIn> {
  const { s } = ctx;
  const key = pendingKey(input.pendingLinkToken);
  const raw = await s.security.get(key);
  if (!raw) throw new AppError("UNAUTHORIZED", "Unknown, expired or used link request");
  const pending = JSON.parse(raw) as PendingLink;
  const [user] = await s.db.primary
    .select({ passwordHash: schema.users.passwordHash })
    .from(schema.users)
    .where(and(eq(schema.users.id, pending.userId), isNull(schema.users.deletedAt)));
  if (!user) throw new AppError("UNAUTHORIZED", "The account no longer exists");
  if (!user.passwordHash)
    throw new AppError("CONFLICT", "This account has no password: sign in with its provider and link this one from your account");
  await spendAttempt(ctx, pending.userId);
  if (!(await verifyPassword(input.password, user.passwordHash))) {
    await audit({
      ctx,
      input: { userId: pending.userId, action: "oidc.link_failed", metadata: { provider: pending.provider }, ...input.client },
    });
    throw new AppError("UNAUTHORIZED", "Password is incorrect");
  }
  if (await mfaEnabled(ctx, pending.userId)) {
    if (!input.code && !input.recoveryCode)
      throw new AppError("UNAUTHORIZED", "This account has two-factor authentication on: send code or recoveryCode");
    await verifySecondFactor({
      ctx,
      input: { userId: pending.userId, code: input.code, recoveryCode: input.recoveryCode, client: input.client, attemptSpent: true },
    });
  }
  await clearAttempts(ctx, pending.userId);
  await takeOnce<PendingLink>(ctx, key, "link request");
  await link(ctx, pending.userId, pending.provider, pending.subject, pending.email, input.client, "pending_link");
  const outcome = await signIn(ctx, pending.userId, `oidc:${pending.provider}`, input.client);
  if (outcome.status !== "signed_in") throw new AppError("CONFLICT", "Sign in again");
  return outcome;
}

export interface IdentityView {
  id: string;
  provider: string;
  email: string | null;
  createdAt: string;
  lastLoginAt: string | null;
}

export async function listIdentities({ ctx }: Call): Promise<IdentityView[]> {
  const t = schema.userIdentities;
  const rows = await ctx.s.db.primary.select().from(t).where(eq(t.userId, ctx.userId)).orderBy(desc(t.createdAt));
  return rows.map((r) => ({
    id: r.id,
    provider: r.provider,
    email: r.email,
    createdAt: r.createdAt.toISOString(),
    lastLoginAt: r.lastLoginAt?.toISOString() ?? null,
  }));
}

/** Unlinks a provider; not the last way into an account without a password. */
export async function unlinkIdentity({ ctx, input }: Call<{ id: string; client: ClientMeta }>): Promise<void> {
  const t = schema.userIdentities;
  await withTransaction(ctx, async (ctx) => {
    const [user] = await ctx.tx.db
      .select({ passwordHash: schema.users.passwordHash })
      .from(schema.users)
      .where(eq(schema.users.id, ctx.userId))
      .for("update");
    const mine = await ctx.tx.db.select({ id: t.id, provider: t.provider }).from(t).where(eq(t.userId, ctx.userId));
    const target = mine.find((r) => r.id === input.id);
    if (!target) throw notFound("Identity");
    if (!user?.passwordHash && mine.length === 1) throw new AppError("CONFLICT", "This is the only way into an account without a password");
    await ctx.tx.db.delete(t).where(and(eq(t.userId, ctx.userId), eq(t.id, input.id)));
    await audit({
      ctx,
      input: {
        userId: ctx.userId,
        action: "oidc.unlinked",
        targetType: "identity",
        targetId: input.id,
        metadata: { provider: target.provider },
        ...input.client,
      },
    });
  });
}
