import { ACCESS_TOKEN_ALG, type AccessClaims } from "@tcc/shared/contracts";
import { createLocalJWKSet, type JWTPayload, jwtVerify, SignJWT } from "jose";
import { AppError } from "../errors";
import type { SigningKeys } from "./keys";

export interface TokenConfig {
  issuer: string;
  audience: string;
  accessTtlSeconds: number;
}

/**
 * Signs and verifies access tokens. Verified tokens are remembered (bounded, until expiry)
 * because the same token arrives on every request of a session and Ed25519 verification
 * costs more than the rest of a cached read.
 */
export class AccessTokens {
  private readonly jwks;
  private readonly verified = new Map<string, AccessClaims>();

  constructor(
    private readonly keys: SigningKeys,
    private readonly config: TokenConfig,
    private readonly now: () => number = Date.now,
  ) {
    this.jwks = createLocalJWKSet({ keys: keys.publicJwks });
  }

  get publicJwks() {
    return this.keys.publicJwks;
  }

  get ttlSeconds() {
    return this.config.accessTtlSeconds;
  }

  async sign(input: { userId: string; sessionId: string; scope?: string }): Promise<string> {
    const iat = Math.floor(this.now() / 1000);
    const jwt = new SignJWT(input.scope ? { sid: input.sessionId, scope: input.scope } : { sid: input.sessionId })
      .setProtectedHeader({ alg: ACCESS_TOKEN_ALG, kid: this.keys.kid, typ: "JWT" })
      .setIssuer(this.config.issuer)
      .setAudience(this.config.audience)
      .setSubject(input.userId)
      .setJti(crypto.randomUUID())
      .setIssuedAt(iat)
      .setExpirationTime(iat + this.config.accessTtlSeconds);
    return jwt.sign(this.keys.privateKey);
  }

  /** Throws UNAUTHORIZED for anything but a valid, unexpired token of ours. */
  async verify(token: string): Promise<AccessClaims> {
    const nowS = this.now() / 1000;
    const hit = this.verified.get(token);
    if (hit) {
      if (hit.exp > nowS) return hit;
      this.verified.delete(token);
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.jwks, {
        issuer: this.config.issuer,
        audience: this.config.audience,
        algorithms: [ACCESS_TOKEN_ALG], // pinned: no "none", no HS256 with the public key
        requiredClaims: ["sub", "exp", "iat", "jti", "sid"],
        currentDate: new Date(this.now()),
      }));
    } catch {
      throw new AppError("UNAUTHORIZED", "Invalid or expired access token");
    }
    const claims = payload as unknown as AccessClaims;
    if (this.verified.size >= 10_000) this.verified.delete(this.verified.keys().next().value as string);
    this.verified.set(token, claims);
    return claims;
  }
}
