// argon2id at OWASP's minimum (19 MiB, 2 iterations, 1 lane); Bun.password reads it as KiB.
const ARGON = { algorithm: "argon2id", memoryCost: 19_456, timeCost: 2 } as const;

export function hashPassword(plain: string): Promise<string> {
  return Bun.password.hash(plain, ARGON);
}

export function verifyPassword(plain: string, hash: string): Promise<boolean> {
  return Bun.password.verify(plain, hash);
}

// Verified against when the account does not exist, so timing does not reveal which emails exist.
let dummy: Promise<string> | undefined;
export async function burnPasswordCheck(plain: string): Promise<void> {
  dummy ??= hashPassword("no-such-account-dummy-password");
  await Bun.password.verify(plain, await dummy);
}
