import { randomToken, sha256 } from "../auth/secrets";
import type { Call, SystemCtx } from "../context";
import { AppError } from "../errors";
import { audit, type ClientMeta } from "./audit";
import { type SecondFactor, verifySecondFactor } from "./mfa-factors";
import { startSession, type TokenPair } from "./sessions";

/** What a sign-in answers instead of tokens when the account has MFA on. */
export interface MfaChallenge {
  mfaRequired: true;
  mfaToken: string;
  methods: ["totp", "recovery_code"];
  expiresIn: number;
}

const challengeKey = (token: string) => `tcc:mfa:ch:${sha256(token)}`;

/** The first factor passed (password or OpenID Connect): a short-lived, single-use token for the second. */
export async function createChallenge({
  ctx,
  input,
}: Call<{ userId: string; via: string; client: ClientMeta }, SystemCtx>): Promise<MfaChallenge> {
  const { s } = ctx;
  const mfaToken = randomToken("tccm_");
  await s.security.set(challengeKey(mfaToken), JSON.stringify({ userId: input.userId, via: input.via }), s.env.MFA_CHALLENGE_TTL_S);
  await audit({ ctx, input: { userId: input.userId, action: "auth.mfa_challenged", metadata: { via: input.via }, ...input.client } });
  return { mfaRequired: true, mfaToken, methods: ["totp", "recovery_code"], expiresIn: s.env.MFA_CHALLENGE_TTL_S };
}

/**
 * Completes a sign-in with its second factor. Wrong codes are throttled per user; a challenge
 * yields at most one session, even when completed twice in parallel.
 */
export async function completeChallenge({
  ctx,
  input,
}: Call<SecondFactor & { mfaToken: string; client: ClientMeta }, SystemCtx>): Promise<{ userId: string } & TokenPair> {
  const { s } = ctx;
  const key = challengeKey(input.mfaToken);
  const raw = await s.security.get(key);
  if (!raw) throw new AppError("UNAUTHORIZED", "Invalid or expired MFA challenge; sign in again");
  const { userId, via } = JSON.parse(raw) as { userId: string; via: string };
  const method = await verifySecondFactor({
    ctx,
    input: { userId, code: input.code, recoveryCode: input.recoveryCode, client: input.client },
  });
  if ((await s.security.incr(`${key}:done`, s.env.MFA_CHALLENGE_TTL_S)) !== 1) {
    throw new AppError("UNAUTHORIZED", "This MFA challenge was already used; sign in again");
  }
  await s.security.del([key]);
  await audit({ ctx, input: { userId, action: "auth.login", metadata: { via, mfa: method }, ...input.client } });
  return { userId, ...(await startSession({ ctx, input: { userId, client: input.client } })) };
}
