import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import path from 'node:path';
import ssh2 from 'ssh2';
import { fingerprint, parseSshKey } from '../domain/ssh-public-key.js';

const { generateKeyPairSync } = ssh2.utils;

export interface HostKey { file: string; type: string; fingerprint: string; privateKey: Buffer }

/** Creates an OpenSSH-format host key (0600) with its `.pub`, unless the file exists. */
export function ensureHostKey(file: string): boolean {
  if (existsSync(file)) return false;
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const type = /rsa/.test(path.basename(file)) ? 'rsa' : /ecdsa/.test(path.basename(file)) ? 'ecdsa' : 'ed25519';
  const pair = type === 'rsa'
    ? generateKeyPairSync('rsa', { bits: 3072, comment: 'jumpgate host key' })
    : type === 'ecdsa'
      ? generateKeyPairSync('ecdsa', { bits: 256, comment: 'jumpgate host key' })
      : generateKeyPairSync('ed25519', { comment: 'jumpgate host key' });
  writeFileSync(file, pair.private, { mode: 0o600 });
  chmodSync(file, 0o600);
  writeFileSync(`${file}.pub`, pair.public + '\n', { mode: 0o644 });
  return true;
}

export function readHostKey(file: string): HostKey {
  const privateKey = readFileSync(file);
  const key = parseSshKey(privateKey);
  if (key instanceof Error) throw new Error(`${file}: not a usable host key (${key.message})`);
  return { file, type: key.type, fingerprint: fingerprint(key.getPublicSSH()), privateKey };
}
