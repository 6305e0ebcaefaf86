/** TOTP second factor (RFC 6238: SHA-1, 6 digits, 30 s); its recovery codes are in recovery-codes.ts. */
import * as OTPAuth from 'otpauth';
import { generateRecoveryCodes } from './recovery-codes.js';

export const TOTP_PERIOD_S = 30;

/** The name a user's TOTP secret is sealed under in the vault (its associated data). */
export function totpVaultName(user: string): string {
  return `totp:${user}`;
}

export interface TotpEnrolment { secretBase32: string; uri: string; recoveryCodes: string[] }

export function enrolTotp(user: string, issuer = 'jumpgate'): TotpEnrolment {
  const secret = new OTPAuth.Secret({ size: 20 });
  const totp = new OTPAuth.TOTP({ issuer, label: user, algorithm: 'SHA1', digits: 6, period: TOTP_PERIOD_S, secret });
  return { secretBase32: secret.base32, uri: totp.toString(), recoveryCodes: generateRecoveryCodes() };
}

/** The time step a code belongs to (within one step of now, for clock drift), or null. */
export function totpStep(secretBase32: string, code: string, now = Date.now()): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const totp = new OTPAuth.TOTP({ algorithm: 'SHA1', digits: 6, period: TOTP_PERIOD_S, secret: OTPAuth.Secret.fromBase32(secretBase32) });
  const delta = totp.validate({ token: code, timestamp: now, window: 1 });
  return delta === null ? null : Math.floor(now / 1000 / TOTP_PERIOD_S) + delta;
}

/** The current code, for tests and `user totp --show-code` style tooling. */
export function totpCode(secretBase32: string, now = Date.now()): string {
  return new OTPAuth.TOTP({ algorithm: 'SHA1', digits: 6, period: TOTP_PERIOD_S, secret: OTPAuth.Secret.fromBase32(secretBase32) }).generate({ timestamp: now });
}
