import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ACCESS_TOKEN_ALG } from "@tcc/shared/contracts";
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, importPKCS8, type JWK } from "jose";

export interface SigningKeys {
  kid: string;
  privateKey: CryptoKey;
  /** Public keys accepted for verification, the signing one first. */
  publicJwks: JWK[];
}

/**
 * Ed25519 signing key: from JWT_PRIVATE_KEY (PKCS#8 PEM or JWK JSON) when configured,
 * otherwise generated once and kept under DATA_DIR/keys so restarts keep tokens valid.
 */
export async function loadSigningKeys(opts: {
  privateKey?: string;
  keyId?: string;
  previousPublicKeys?: string;
  dataDir: string;
}): Promise<SigningKeys> {
  const privateJwk = opts.privateKey ? await fromConfig(opts.privateKey) : await fromDataDir(opts.dataDir);
  const { d: _secret, ...publicJwk } = privateJwk;
  const kid = opts.keyId ?? privateJwk.kid ?? (await calculateJwkThumbprint(publicJwk));
  const privateKey = (await importJWK({ ...privateJwk, alg: ACCESS_TOKEN_ALG }, ACCESS_TOKEN_ALG)) as CryptoKey;
  const previous: JWK[] = opts.previousPublicKeys ? JSON.parse(opts.previousPublicKeys) : [];
  return {
    kid,
    privateKey,
    publicJwks: [{ ...publicJwk, kid, alg: ACCESS_TOKEN_ALG, use: "sig" }, ...previous],
  };
}

async function fromConfig(value: string): Promise<JWK> {
  const trimmed = value.trim();
  if (trimmed.startsWith("{")) return JSON.parse(trimmed) as JWK;
  const key = await importPKCS8(trimmed.replace(/\\n/g, "\n"), ACCESS_TOKEN_ALG, { extractable: true });
  return exportJWK(key);
}

async function fromDataDir(dataDir: string): Promise<JWK> {
  const dir = join(dataDir, "keys");
  const file = join(dir, "jwt-ed25519.jwk.json");
  if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8")) as JWK;
  const { privateKey } = await generateKeyPair(ACCESS_TOKEN_ALG, { crv: "Ed25519", extractable: true });
  const jwk = await exportJWK(privateKey);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(file, JSON.stringify(jwk), { mode: 0o600 });
  chmodSync(file, 0o600);
  return jwk;
}

/**
 * HMAC key for signed file URLs: FILE_URL_SECRET when configured, otherwise generated once under
 * DATA_DIR/keys (like the JWT key) so links survive restarts. Several core processes must share it.
 */
export function loadFileUrlSecret(opts: { secret?: string; dataDir: string }): string {
  if (opts.secret) return opts.secret;
  const dir = join(opts.dataDir, "keys");
  const file = join(dir, "file-url.secret");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  const secret = randomBytes(32).toString("base64url");
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(file, secret, { mode: 0o600 });
  chmodSync(file, 0o600);
  return secret;
}
