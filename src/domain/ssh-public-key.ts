import { createHash } from 'node:crypto';
import ssh2 from 'ssh2';

const { parseKey } = ssh2.utils;

/** The key blob of an OpenSSH public key line (`type base64 [comment]`), or null. */
export function publicKeyBlob(line: string): Buffer | null {
  const parsed = parseKey(line.trim());
  if (parsed instanceof Error) return null;
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key || key.isPrivateKey()) return null;
  return key.getPublicSSH();
}

export function isOpenSshPublicKey(line: string): boolean {
  return publicKeyBlob(line) !== null;
}

/** OpenSSH's SHA256 fingerprint of a key blob: `SHA256:` and unpadded base64. */
export function fingerprint(blob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}
