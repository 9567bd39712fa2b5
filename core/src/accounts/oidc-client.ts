import { createRemoteJWKSet, jwtVerify } from "jose";
import type * as OpenidClient from "openid-client";
import type { Services } from "../context";
import type { OidcProviderConfig } from "../env";
import { AppError } from "../errors";
import { lazyModule } from "../lib/lazy-module";

/** Only processes that serve an OIDC sign-in load openid-client (see lib/lazy-module.ts). */
const openidClient = lazyModule(() => import("openid-client"));

// The OpenID Connect relying party: discovery, the authorization URL (code flow with PKCE
// S256, state and nonce), and the code exchange whose ID token is verified against the
// provider's JWKS (signature, issuer, audience, expiry, nonce).

interface Discovered {
  config: OpenidClient.Configuration;
  jwks: ReturnType<typeof createRemoteJWKSet>;
}

const discovered = new WeakMap<Services, Map<string, Promise<Discovered>>>();

export function providerOf(s: Services, id: string): OidcProviderConfig {
  const p = s.env.OIDC_PROVIDERS.find((x) => x.id === id);
  if (!p) throw new AppError("NOT_FOUND", "Unknown sign-in provider");
  return p;
}

export function redirectUriOf(s: Services, p: OidcProviderConfig): string {
  const base = s.env.PUBLIC_URL ?? `http://${s.env.HOST}:${s.env.PORT}`;
  return p.redirectUri ?? `${base.replace(/\/$/, "")}/v1/auth/oidc/${p.id}/callback`;
}

async function discover(p: OidcProviderConfig): Promise<Discovered> {
  const client = await openidClient();
  const options = p.allowHttp ? { execute: [client.allowInsecureRequests] } : undefined;
  const config = await client.discovery(new URL(p.issuer), p.clientId, p.clientSecret, undefined, options);
  const jwksUri = config.serverMetadata().jwks_uri;
  if (!jwksUri) throw new Error(`${p.id}: the provider publishes no jwks_uri`);
  return { config, jwks: createRemoteJWKSet(new URL(jwksUri)) };
}

/** Discovery once per provider and process; a failure is not remembered, so the next call retries. */
async function discoveredOf(s: Services, p: OidcProviderConfig): Promise<Discovered> {
  let byId = discovered.get(s);
  if (!byId) {
    byId = new Map();
    discovered.set(s, byId);
  }
  let d = byId.get(p.id);
  if (!d) {
    d = discover(p);
    byId.set(p.id, d);
    d.catch(() => byId?.delete(p.id));
  }
  try {
    return await d;
  } catch (err) {
    s.logger.warn({ err, provider: p.id }, "OIDC discovery failed");
    throw new AppError("UNAVAILABLE", "The sign-in provider cannot be reached; try again later");
  }
}

export interface AuthorizationRequest {
  authorizationUrl: string;
  state: string;
  nonce: string;
  codeVerifier: string;
}

export async function authorizationRequest(s: Services, p: OidcProviderConfig): Promise<AuthorizationRequest> {
  const { config } = await discoveredOf(s, p);
  const client = await openidClient();
  const codeVerifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUriOf(s, p),
    scope: p.scopes,
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: "S256",
    state,
    nonce,
  });
  return { authorizationUrl: url.href, state, nonce, codeVerifier };
}

export interface VerifiedIdentity {
  subject: string;
  email: string | null;
  emailVerified: boolean;
  name: string | null;
}

/**
 * Exchanges the code (checking state, PKCE and nonce), then verifies the ID token's signature
 * against the provider's JWKS. Email claims missing from the ID token are taken from the
 * userinfo endpoint, which openid-client checks belongs to the same subject.
 */
export async function exchangeCode(
  s: Services,
  p: OidcProviderConfig,
  callbackUrl: URL,
  expected: { state: string; nonce: string; codeVerifier: string },
): Promise<VerifiedIdentity> {
  const { config, jwks } = await discoveredOf(s, p);
  const client = await openidClient();
  let tokens: Awaited<ReturnType<typeof OpenidClient.authorizationCodeGrant>>;
  try {
    tokens = await client.authorizationCodeGrant(config, callbackUrl, {
      pkceCodeVerifier: expected.codeVerifier,
      expectedState: expected.state,
      expectedNonce: expected.nonce,
      idTokenExpected: true,
    });
  } catch (err) {
    s.logger.info({ err, provider: p.id }, "OIDC code exchange refused");
    throw new AppError("UNAUTHORIZED", "The sign-in provider's answer could not be verified");
  }
  const idToken = tokens.id_token as string;
  let claims: Record<string, unknown>;
  try {
    ({ payload: claims } = await jwtVerify(idToken, jwks, {
      issuer: config.serverMetadata().issuer,
      audience: p.clientId,
      requiredClaims: ["sub", "exp", "iat"],
    }));
  } catch (err) {
    s.logger.info({ err, provider: p.id }, "OIDC ID token refused");
    throw new AppError("UNAUTHORIZED", "The sign-in provider's ID token could not be verified");
  }
  if (claims.nonce !== expected.nonce) throw new AppError("UNAUTHORIZED", "The ID token's nonce does not match");
  const subject = String(claims.sub);
  if (claims.email === undefined && tokens.access_token && config.serverMetadata().userinfo_endpoint) {
    const info = await client.fetchUserInfo(config, tokens.access_token, subject);
    claims = { ...info, ...claims };
  }
  return {
    subject,
    email: typeof claims.email === "string" ? claims.email.trim().toLowerCase() : null,
    emailVerified: claims.email_verified === true || claims.email_verified === "true",
    name: typeof claims.name === "string" ? claims.name.slice(0, 100) : null,
  };
}
