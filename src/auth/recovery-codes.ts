/**
 * One-time recovery codes for the TOTP second factor: 80 random bits each, written as 16
 * Crockford base32 symbols in groups of four (`7kq2-x9ma-...`), stored as argon2id hashes
 * with their own salt (a copy of the store does not give them away), each used once.
 */
import { randomBytes } from 'node:crypto';
import { hash, verify, Algorithm } from '@node-rs/argon2';

export const RECOVERY_CODE_COUNT = 10;
const RANDOM_BYTES = 10; // 80 bits: 16 symbols of 5 bits
const SYMBOLS = 16;
/** Crockford's base32: no i, l, o or u, so a code read aloud or copied by hand survives. */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

function base32(bytes: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

/** A code as typed, reduced to its 16 symbols (case, spaces and dashes ignored; i, l → 1 and o → 0 as Crockford says), or null. */
function normalised(text: string): string | null {
  const symbols = text.toLowerCase().replace(/[\s-]/g, '').replace(/[il]/g, '1').replace(/o/g, '0');
  if (symbols.length !== SYMBOLS) return null;
  for (const symbol of symbols) if (!ALPHABET.includes(symbol)) return null;
  return symbols;
}

export function generateRecoveryCodes(count = RECOVERY_CODE_COUNT): string[] {
  return Array.from({ length: count }, () => base32(randomBytes(RANDOM_BYTES)).match(/.{4}/g)!.join('-'));
}

/** The argon2id hash (PHC string, with a fresh salt) stored for a code. */
export async function hashRecoveryCode(code: string): Promise<string> {
  const symbols = normalised(code);
  if (symbols === null) throw new Error('not a recovery code');
  return hash(symbols, { algorithm: Algorithm.Argon2id });
}

export function looksLikeRecoveryCode(text: string): boolean {
  return normalised(text) !== null;
}

/**
 * The codes of the first version (40 bits, stored as unsalted SHA-256) were withdrawn
 * by migration 6; recognised only to say so in `auth.failure`.
 */
export function looksLikeWithdrawnRecoveryCode(text: string): boolean {
  return /^[0-9a-f]{5}-[0-9a-f]{5}$/i.test(text.trim());
}

/**
 * The stored hash that `code` matches, or null. The caller then claims that hash, which
 * removes it atomically, so a code works once even when two logins race with it.
 */
export async function findRecoveryCode(code: string, storedHashes: readonly string[]): Promise<string | null> {
  const symbols = normalised(code);
  if (symbols === null) return null;
  for (const stored of storedHashes) {
    if (!stored.startsWith('$argon2id$')) continue;
    try {
      if (await verify(stored, symbols)) return stored;
    } catch {
      // A hash that does not decode matches nothing.
    }
  }
  return null;
}
