/**
 * Gateway access tokens (the PAA cookie of MS-TSGU): `jg1.<payload>.<mac>`, where the
 * payload names one user, one target, a random id and the expiry, and the MAC is
 * HMAC-SHA256 under a key derived from the vault key (so every node verifies what any
 * node issued). The signature makes a forged or altered token fail before the store is
 * asked; the store makes each id usable once (RdpTokenStore.claim).
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Secret } from '../vault/secret.js';

export const TOKEN_PURPOSE = 'rdp gateway access token';
const PREFIX = 'jg1';
/** Longer text is not a token of ours: refused before any parsing. */
const MAX_TOKEN_LENGTH = 1024;

export interface TokenClaims {
  /** Random, unique per token; the store keeps only its hash. */
  id: string;
  user: string;
  target: string;
  expiresAt: string;
}

export type TokenCheck =
  | { valid: true; claims: TokenClaims }
  | { valid: false; reason: 'malformed' | 'bad signature' | 'expired'; claims?: TokenClaims };

export function issueToken(user: string, target: string, ttlMs: number, key: Secret<Buffer>, now = new Date()): { token: string; claims: TokenClaims } {
  const claims: TokenClaims = { id: randomBytes(18).toString('base64url'), user, target, expiresAt: new Date(now.getTime() + ttlMs).toISOString() };
  const payload = Buffer.from(JSON.stringify({ i: claims.id, u: claims.user, t: claims.target, e: claims.expiresAt })).toString('base64url');
  return { token: `${PREFIX}.${payload}.${mac(payload, key)}`, claims };
}

/** Checks the form, the signature (under any of `keys`) and the expiry; never the store. */
export function checkToken(token: string, keys: readonly Secret<Buffer>[], now = new Date()): TokenCheck {
  if (token.length > MAX_TOKEN_LENGTH) return { valid: false, reason: 'malformed' };
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== PREFIX || !/^[A-Za-z0-9_-]+$/.test(parts[1]) || !/^[A-Za-z0-9_-]{43}$/.test(parts[2])) {
    return { valid: false, reason: 'malformed' };
  }
  const given = Buffer.from(parts[2], 'base64url');
  if (!keys.some((key) => timingSafeEqual(Buffer.from(mac(parts[1], key), 'base64url'), given))) return { valid: false, reason: 'bad signature' };
  const claims = readClaims(parts[1]);
  if (!claims) return { valid: false, reason: 'malformed' };
  if (Date.parse(claims.expiresAt) <= now.getTime()) return { valid: false, reason: 'expired', claims };
  return { valid: true, claims };
}

/** What the store keeps of a token id: its hash, so a store dump holds no usable token part. */
export function tokenIdHash(id: string): string {
  return createHash('sha256').update(id).digest('hex');
}

function mac(payload: string, key: Secret<Buffer>): string {
  return createHmac('sha256', key.reveal()).update(`${PREFIX}.${payload}`).digest('base64url');
}

function readClaims(payload: string): TokenClaims | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    if (typeof value !== 'object' || value === null) return null;
    const { i, u, t, e } = value as Record<string, unknown>;
    if (typeof i !== 'string' || typeof u !== 'string' || typeof t !== 'string' || typeof e !== 'string' || Number.isNaN(Date.parse(e))) return null;
    return { id: i, user: u, target: t, expiresAt: e };
  } catch {
    return null;
  }
}
