/** Passwords as argon2id hashes (OWASP parameters of @node-rs/argon2's defaults), verified in constant time. */
import { hash, verify, Algorithm } from '@node-rs/argon2';

export async function hashPassword(password: string): Promise<string> {
  return hash(password, { algorithm: Algorithm.Argon2id });
}

// Verified against when the user has no password, so timing does not tell whether one exists.
const DECOY = hash('decoy-password-never-matches', { algorithm: Algorithm.Argon2id });

export async function verifyPassword(passwordHash: string | null, password: string): Promise<boolean> {
  try {
    const ok = await verify(passwordHash ?? (await DECOY), password);
    return ok && passwordHash !== null;
  } catch {
    return false;
  }
}
