/**
 * API tokens (SPEC §9, `Authorization: Bearer …`): 32 random bytes, shown once; the store
 * keeps only their SHA-256, so a copy of the store opens no API. A hash (not argon2) is
 * enough: the token is random, not a password a person chose.
 */
import { createHash, randomBytes } from 'node:crypto';

/** The prefix lets secret scanners and people recognise a jumpgate token. */
const PREFIX = 'jgt_';
const TOKEN = /^jgt_[A-Za-z0-9_-]{43}$/;

export function generateApiToken(): string {
  return PREFIX + randomBytes(32).toString('base64url');
}

export function looksLikeApiToken(text: string): boolean {
  return TOKEN.test(text);
}

export function hashApiToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
