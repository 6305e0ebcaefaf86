/**
 * The codes of browser approvals (SPEC §12): short enough to compare by eye and type,
 * shown at `<http.publicUrl>/approve/CODE`. A code is not a credential (only the person it
 * is bound to, signed in, can approve it), so 40 bits are plenty; the store keeps its hash.
 */
import { createHash, randomBytes, randomInt } from 'node:crypto';
import type { Settings } from '../config/settings-schema.js';

/** Valid this long; an SSH login's code also no longer than `ssh.loginGraceTime`. */
export const APPROVAL_TTL_MS = 2 * 60_000;

/** No 0/O, 1/I/L: nothing that reads as something else. */
const ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
const LENGTH = 8;

export function newApprovalCode(): string {
  let code = '';
  for (let i = 0; i < LENGTH; i++) code += ALPHABET[randomInt(ALPHABET.length)];
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

/** The code as typed or as in the URL (any case, with or without the dash), or null when it cannot be one. */
export function normaliseApprovalCode(text: string): string | null {
  const plain = text.toUpperCase().replace(/-/g, '');
  if (plain.length !== LENGTH || [...plain].some((c) => !ALPHABET.includes(c))) return null;
  return `${plain.slice(0, 4)}-${plain.slice(4)}`;
}

export function hashApprovalCode(code: string): string {
  return createHash('sha256').update(`approval:${code}`).digest('hex');
}

/** The secret a `jumpgate login` polls with, and its hash for the store. */
export function newPollToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashPollToken(token) };
}

export function hashPollToken(token: string): string {
  return createHash('sha256').update(`poll:${token}`).digest('hex');
}

/**
 * The console's address as people reach it: `http.publicUrl`, else the listener's (a
 * wildcard listener names no host: this is then only right on the gateway's own machine).
 */
export function consoleUrl(settings: Pick<Settings, 'http'>): string {
  if (settings.http.publicUrl) return settings.http.publicUrl.replace(/\/$/, '');
  const scheme = settings.http.tls.cert ? 'https' : 'http';
  return `${scheme}://${settings.http.listen.replace(/^0\.0\.0\.0:/, '127.0.0.1:')}`;
}

export function approvalUrl(settings: Pick<Settings, 'http'>, code: string): string {
  return `${consoleUrl(settings)}/approve/${code}`;
}
