/** Claims of an access token, as core signs them and the edge verifies them. */
export interface AccessClaims {
  iss: string;
  aud: string;
  sub: string; // user id
  sid: string; // refresh-token family (one login); logout revokes it
  jti: string;
  iat: number;
  exp: number;
  scope?: string; // space-separated; absent on first-party logins (full access)
}

export const ACCESS_TOKEN_ALG = "EdDSA" as const;

/** Scopes an API key may carry. A session token has all of them. */
export const SCOPES = [
  "entries:read",
  "entries:write",
  "tags:read",
  "tags:write",
  "topics:read",
  "topics:write",
  "links:read",
  "links:write",
  "search:read",
  "files:read",
  "files:write",
  "galleries:read",
  "galleries:write",
  "chat:read",
  "chat:write",
] as const;
export type Scope = (typeof SCOPES)[number];
