/**
 * The key list files of `ssh.revokedKeys` and `ssh.trustedUserCAKeys` (SPEC §5): one
 * OpenSSH public key per line (`type base64 [comment]`), `#` comments and blank lines
 * allowed, as sshd's RevokedKeys and TrustedUserCAKeys files. A certificate line in the
 * revoked list revokes its certified key, as OpenSSH does (`sshkey_in_file` compares the
 * public parts). Files are read again when they change, so `jumpgate ca revoke` takes
 * effect at the next login without a restart.
 */
import { readFileSync, statSync } from 'node:fs';
import { blobType, certifiedKey, isCertificateAlgorithm, type KeySet } from './openssh-certificate.js';
import { dataPath } from '../config/load-settings.js';
import type { UserKeyEntry } from '../store/store.js';

/** Public key blobs, compared byte for byte. */
export class KeyList implements KeySet {
  private readonly keys = new Set<string>();
  add(blob: Buffer): void { this.keys.add(blob.toString('base64')); }
  has(blob: Buffer): boolean { return this.keys.has(blob.toString('base64')); }
  addAll(other: KeyList): void { for (const key of other.keys) this.keys.add(key); }
  get size(): number { return this.keys.size; }
}

export type KeyLine =
  | { ok: true; type: string; blob: Buffer; comment: string; certificate: boolean }
  | { ok: false; reason: string };

/** One `type base64 [comment]` line: a plain public key or a certificate. */
export function parseKeyLine(line: string): KeyLine {
  const match = /^(\S+)\s+([A-Za-z0-9+/]+={0,2})(?:\s+(.*))?$/.exec(line.trim());
  if (!match) return { ok: false, reason: 'not an OpenSSH public key line (type base64 [comment])' };
  const [, type, base64, comment = ''] = match;
  const blob = Buffer.from(base64, 'base64');
  if (blobType(blob) !== type) return { ok: false, reason: `key data does not hold a ${type} key` };
  return { ok: true, type, blob, comment, certificate: isCertificateAlgorithm(type) };
}

/** The KRL magic (PROTOCOL.krl): binary revocation lists are not read. */
const KRL_MAGIC = Buffer.from('SSHKRL\n\0', 'latin1');

export interface KeyListText { keys: KeyList; problems: string[] }

/**
 * Parses the lines of a key list file. `certificates`: `certified-key` adds the key a
 * certificate line certifies (revocation lists); `refuse` reports the line (CA lists,
 * where a CA key is always a plain key).
 */
export function parseKeyList(text: string, file: string, certificates: 'certified-key' | 'refuse'): KeyListText {
  const keys = new KeyList();
  const problems: string[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const parsed = parseKeyLine(line);
    if (!parsed.ok) return void problems.push(`${file}:${index + 1}: ${parsed.reason}`);
    if (!parsed.certificate) return keys.add(parsed.blob);
    const key = certificates === 'certified-key' ? certifiedKey(parsed.blob) : null;
    if (key) keys.add(key);
    else problems.push(`${file}:${index + 1}: ${certificates === 'refuse' ? 'a certificate, not a CA public key' : 'certificate malformed'}`);
  });
  return { keys, problems };
}

export type KeyListRead = { ok: true; keys: KeyList; problems: string[] } | { ok: false; error: string };

const cache = new Map<string, { stamp: string; read: KeyListRead }>();

/**
 * Reads a key list file, again only when its size, time or inode changed. `fresh` says
 * the result was just read, so its problems should be reported (once, not per login).
 */
export function readKeyListFile(file: string, certificates: 'certified-key' | 'refuse'): KeyListRead & { fresh: boolean } {
  let stamp: string;
  try {
    const stat = statSync(file);
    stamp = `${stat.ino}:${stat.size}:${stat.mtimeMs}:${certificates}`;
  } catch (error) {
    stamp = `error:${(error as NodeJS.ErrnoException).code ?? String(error)}`;
  }
  const cached = cache.get(file);
  if (cached?.stamp === stamp) return { ...cached.read, fresh: false };
  let read: KeyListRead;
  try {
    const bytes = readFileSync(file);
    read = bytes.subarray(0, KRL_MAGIC.length).equals(KRL_MAGIC)
      ? { ok: false, error: `${file} is a binary KRL, which jumpgate does not read; list the keys one per line` }
      : { ok: true, ...parseKeyList(bytes.toString('utf8'), file, certificates) };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    read = { ok: false, error: `cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : (code ?? String(error))}` };
  }
  cache.set(file, { stamp, read });
  return { ...read, fresh: true };
}

export interface CertificateTrust {
  trustedCAs: KeyList;
  /** Null when the revoked keys file cannot be read: public key logins are then refused (fail closed, as sshd). */
  revoked: KeyList | null;
  /** Why `revoked` is null. */
  revokedError: string | null;
  /** Problems found by this read that were not reported before. */
  newProblems: string[];
}

/** The trusted user CA keys and the revoked keys the settings name, read from the data dir. */
export function loadCertificateTrust(dataDir: string, ssh: { trustedUserCAKeys: readonly string[]; revokedKeys: string | null }): CertificateTrust {
  const trustedCAs = new KeyList();
  const newProblems: string[] = [];
  for (const name of ssh.trustedUserCAKeys) {
    const read = readKeyListFile(dataPath(dataDir, name), 'refuse');
    if (read.ok) {
      if (read.fresh) newProblems.push(...read.problems.map((p) => `ssh.trustedUserCAKeys: ${p}`));
      trustedCAs.addAll(read.keys);
    } else if (read.fresh) {
      newProblems.push(`ssh.trustedUserCAKeys: ${read.error}; certificates signed by its CAs are refused`);
    }
  }
  if (ssh.revokedKeys === null) return { trustedCAs, revoked: new KeyList(), revokedError: null, newProblems };
  const read = readKeyListFile(dataPath(dataDir, ssh.revokedKeys), 'certified-key');
  if (!read.ok) {
    if (read.fresh) newProblems.push(`ssh.revokedKeys: ${read.error}; every public key login is refused until it can be read`);
    return { trustedCAs, revoked: null, revokedError: `revoked keys file unreadable (${read.error})`, newProblems };
  }
  if (read.fresh) newProblems.push(...read.problems.map((p) => `ssh.revokedKeys: ${p}`));
  return { trustedCAs, revoked: read.keys, revokedError: null, newProblems };
}

/**
 * The file lists joined with the store's (`jumpgate ca trust` / `ca revoke`, shared by every
 * node). A revoked list that could not be read stays unreadable: key logins stay refused.
 */
export function withStoredKeys(trust: CertificateTrust, stored: readonly UserKeyEntry[]): CertificateTrust {
  const trustedCAs = new KeyList();
  trustedCAs.addAll(trust.trustedCAs);
  const revoked = trust.revoked ? new KeyList() : null;
  if (revoked && trust.revoked) revoked.addAll(trust.revoked);
  for (const entry of stored) {
    const blob = Buffer.from(entry.key, 'base64');
    if (entry.list === 'trusted-ca') trustedCAs.add(blob);
    else revoked?.add(blob);
  }
  return { ...trust, trustedCAs, revoked };
}

/** Every problem with the key list files, for a check at start-up or in `jumpgate doctor`. */
export function certificateTrustProblems(dataDir: string, ssh: { trustedUserCAKeys: readonly string[]; revokedKeys: string | null }): string[] {
  const problems: string[] = [];
  for (const name of ssh.trustedUserCAKeys) {
    const read = readKeyListFile(dataPath(dataDir, name), 'refuse');
    if (!read.ok) problems.push(`ssh.trustedUserCAKeys: ${read.error}`);
    else problems.push(...read.problems.map((p) => `ssh.trustedUserCAKeys: ${p}`));
  }
  if (ssh.revokedKeys !== null) {
    const read = readKeyListFile(dataPath(dataDir, ssh.revokedKeys), 'certified-key');
    if (!read.ok) problems.push(`ssh.revokedKeys: ${read.error}`);
    else problems.push(...read.problems.map((p) => `ssh.revokedKeys: ${p}`));
  }
  return problems;
}
