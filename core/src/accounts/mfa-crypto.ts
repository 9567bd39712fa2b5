import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import type { Services } from "../context";

// TOTP secrets must be readable to check codes, so they are encrypted rather than hashed: a
// database dump alone does not yield anyone's second factor. AES-256-GCM with the user's id as
// associated data, so a secret copied onto another user's row does not decrypt.

const keys = new WeakMap<Services, Buffer>();

function keyOf(s: Services): Buffer {
  let key = keys.get(s);
  if (!key) {
    const material = s.env.MFA_ENCRYPTION_KEY ?? s.fileUrlSecret;
    key = Buffer.from(hkdfSync("sha256", material, "tcc-log", "mfa-totp-secret-v1", 32));
    keys.set(s, key);
  }
  return key;
}

export function sealSecret(s: Services, userId: string, secret: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", keyOf(s), iv);
  cipher.setAAD(Buffer.from(userId));
  const body = Buffer.concat([cipher.update(secret, "utf8"), cipher.final()]);
  return ["v1", iv.toString("base64url"), body.toString("base64url"), cipher.getAuthTag().toString("base64url")].join(".");
}

/** Null when the key changed (or the row was tampered with): the authenticator no longer verifies. */
export function openSecret(s: Services, userId: string, sealed: string): string | null {
  const [version, iv, body, tag] = sealed.split(".");
  if (version !== "v1" || !iv || !body || !tag) return null;
  try {
    const decipher = createDecipheriv("aes-256-gcm", keyOf(s), Buffer.from(iv, "base64url"));
    decipher.setAAD(Buffer.from(userId));
    decipher.setAuthTag(Buffer.from(tag, "base64url"));
    return Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]).toString("utf8");
  } catch {
    return null;
  }
}
