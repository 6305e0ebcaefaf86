import { createHmac } from 'node:crypto';

/** The base32 secret of an otpauth:// URI (as `jumpgate user totp` prints it). */
export function secretOfUri(text: string): string {
  const match = /otpauth:\/\/totp\/\S*[?&]secret=([A-Z2-7]+)/.exec(text);
  if (!match) throw new Error(`no otpauth URI with a secret in:\n${text}`);
  return match[1];
}

function base32Decode(text: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const char of text.replace(/=+$/, '')) bits += alphabet.indexOf(char).toString(2).padStart(5, '0');
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

/** An RFC 6238 code (SHA-1, 6 digits, 30 s) for the time step `offset` steps from now. */
export function totpNow(secretBase32: string, offset = 0): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30_000) + offset));
  const mac = createHmac('sha1', base32Decode(secretBase32)).update(counter).digest();
  const at = mac[mac.length - 1] & 0x0f;
  return String((mac.readUInt32BE(at) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

/** A code for a step no earlier sign-in used: codes are single use, so the next step's code (within the allowed drift). */
export function freshTotp(secretBase32: string, used: Set<string>): string {
  for (const offset of [0, 1]) {
    const code = totpNow(secretBase32, offset);
    const key = `${Math.floor(Date.now() / 30_000) + offset}`;
    if (!used.has(key)) {
      used.add(key);
      return code;
    }
  }
  throw new Error('both usable TOTP steps were used already; wait for the next 30 s window');
}
