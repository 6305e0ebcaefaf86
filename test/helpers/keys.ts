import fs from 'node:fs';
import path from 'node:path';
import { runOk } from './processes.js';
import { makeTempDir } from './tmp.js';

export interface KeyPair {
  privateKeyPath: string;
  publicKeyPath: string;
  /** The authorized_keys line: `ssh-ed25519 AAAA... comment`. */
  publicKey: string;
  /** `SHA256:...` as ssh-keygen -l prints it. */
  fingerprint: string;
}

/** Makes an unencrypted ed25519 key pair in `dir` named `name`. */
export async function makeKeyPair(dir: string, name: string, comment = `${name}@test`): Promise<KeyPair> {
  const privateKeyPath = path.join(dir, name);
  await runOk('ssh-keygen', ['-t', 'ed25519', '-N', '', '-f', privateKeyPath, '-C', comment, '-q']);
  const publicKeyPath = `${privateKeyPath}.pub`;
  const publicKey = fs.readFileSync(publicKeyPath, 'utf8').trim();
  return { privateKeyPath, publicKeyPath, publicKey, fingerprint: await fingerprintOf(publicKeyPath) };
}

/** A fresh ed25519 key pair in its own temp dir (host keys to swap in, keys nobody trusts). */
export async function newKeyPair(name: string, comment = name): Promise<KeyPair> {
  return makeKeyPair(makeTempDir('key'), name, comment);
}

/** The SHA256 fingerprint of a public key file. */
export async function fingerprintOf(publicKeyPath: string): Promise<string> {
  const r = await runOk('ssh-keygen', ['-l', '-E', 'sha256', '-f', publicKeyPath]);
  const fp = r.stdout.split(/\s+/)[1];
  if (!fp?.startsWith('SHA256:')) throw new Error(`unexpected ssh-keygen -l output: ${r.stdout}`);
  return fp;
}
