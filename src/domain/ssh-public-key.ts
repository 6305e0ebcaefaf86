import { createHash } from 'node:crypto';
import ssh2, { type ParsedKey } from 'ssh2';

/**
 * ssh2's key parser, typed as it behaves: a file may hold several keys (ssh2 then returns
 * an array, which its type declarations leave out); the first one is the key.
 */
export function parseSshKey(data: Buffer | string, passphrase?: string): ParsedKey | Error {
  const parsed = ssh2.utils.parseKey(data, passphrase) as ParsedKey | ParsedKey[] | Error;
  if (!Array.isArray(parsed)) return parsed;
  return parsed[0] ?? new Error('no key found');
}

/** The key blob of an OpenSSH public key line (`type base64 [comment]`), or null. */
export function publicKeyBlob(line: string): Buffer | null {
  const key = parseSshKey(line.trim());
  if (key instanceof Error || key.isPrivateKey()) return null;
  return key.getPublicSSH();
}

export function isOpenSshPublicKey(line: string): boolean {
  return publicKeyBlob(line) !== null;
}

/** OpenSSH's SHA256 fingerprint of a key blob: `SHA256:` and unpadded base64. */
export function fingerprint(blob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}
