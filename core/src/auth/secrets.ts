import { createHash, randomBytes } from "node:crypto";

/** Refresh tokens and API keys are random and long, so a fast hash is enough to store them. */
export function sha256(value: string): string {
  return createHash("sha256").update(value).digest("hex");
}

export function randomToken(prefix: string, bytes = 32): string {
  return `${prefix}${randomBytes(bytes).toString("base64url")}`;
}
