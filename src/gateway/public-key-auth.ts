/** Public-key authentication decisions, apart from the ssh2 callbacks that carry them out. */
import ssh2 from 'ssh2';
import type { User } from '../domain/resources.js';
import { publicKeyBlob, fingerprint } from '../domain/ssh-public-key.js';
import { addressInAny } from '../domain/cidr.js';

const { parseKey } = ssh2.utils;

export type KeyVerdict = { ok: true; fingerprint: string } | { ok: false; reason: string };

/** Whether `user` may log in with the key blob from `ip` (before the signature is checked). */
export function checkUserKey(user: User | null, keyBlob: Buffer, ip: string, now = new Date()): KeyVerdict {
  if (!user) return { ok: false, reason: 'unknown user' };
  if (user.disabled) return { ok: false, reason: 'user disabled' };
  if (user.sourceCidrs.length > 0 && !addressInAny(ip, user.sourceCidrs)) return { ok: false, reason: `source address ${ip} not allowed for ${user.name}` };
  for (const entry of user.keys) {
    const line = typeof entry === 'string' ? entry : entry.key;
    const blob = publicKeyBlob(line);
    if (!blob || !blob.equals(keyBlob)) continue;
    if (typeof entry !== 'string' && entry.expires && new Date(entry.expires).getTime() <= now.getTime()) {
      return { ok: false, reason: `key ${fingerprint(keyBlob)} expired on ${entry.expires}` };
    }
    return { ok: true, fingerprint: fingerprint(keyBlob) };
  }
  return { ok: false, reason: `key ${fingerprint(keyBlob)} is not one of ${user.name}'s keys` };
}

/** Verifies the client's signature over the session blob (RFC 4252 §7). */
export function signatureValid(keyBlob: Buffer, signedData: Buffer, signature: Buffer, hashAlgo: string | undefined): boolean {
  const key = parseKey(keyBlob);
  if (key instanceof Error) return false;
  const parsed = Array.isArray(key) ? key[0] : key;
  return parsed.verify(signedData, signature, hashAlgo) === true;
}
