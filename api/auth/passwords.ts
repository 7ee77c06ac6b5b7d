/**
 * Password hashing with argon2id at OWASP's recommended minimum
 * (19 MiB memory, 2 iterations, parallelism 1; Password Storage Cheat Sheet).
 */
import argon2 from 'argon2';

const PARAMS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const hashPassword = (password: string): Promise<string> => argon2.hash(password, PARAMS);

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

let dummy: Promise<string> | undefined;

/**
 * Spends the same time as a real verification, for unknown usernames, so
 * response timing does not reveal which usernames exist.
 */
export async function burnVerification(password: string): Promise<void> {
  dummy ??= hashPassword('parley-dummy-password');
  await verifyPassword(await dummy, password);
}
