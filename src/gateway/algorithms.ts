/**
 * The modern-only algorithm lists of SPEC §5: no SHA-1, no CBC, no finite-field DH.
 * Settings may narrow them, never widen them.
 */
import type { Settings } from '../config/settings-schema.js';
import { SettingsError } from '../config/load-settings.js';

export const MODERN = {
  // mlkem768x25519-sha256 (post-quantum hybrid, OpenSSH 10's default) comes
  // from the ssh2 patch in patches/; first, so it wins whenever the peer has it.
  kex: ['mlkem768x25519-sha256', 'curve25519-sha256', 'curve25519-sha256@libssh.org', 'ecdh-sha2-nistp256', 'ecdh-sha2-nistp384', 'ecdh-sha2-nistp521'],
  // AES-GCM first: the client's order picks the cipher (RFC 4253 §7.1), so this is what the
  // gateway's own connections to hops and targets use, and with AES instructions (x86-64
  // AES-NI, ARMv8 crypto) it costs both ends a fraction of chacha20-poly1305's CPU.
  ciphers: ['aes128-gcm@openssh.com', 'aes256-gcm@openssh.com', 'chacha20-poly1305@openssh.com', 'aes128-ctr', 'aes192-ctr', 'aes256-ctr'],
  macs: ['hmac-sha2-256-etm@openssh.com', 'hmac-sha2-512-etm@openssh.com', 'hmac-sha2-256', 'hmac-sha2-512'],
  hostKeys: ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256'],
} as const;

/** User-key signature algorithms refused because they hash with SHA-1. */
export const LEGACY_SIGNATURES = new Set(['ssh-rsa', 'ssh-dss']);

/**
 * Signature algorithms a plain user key may log in with: the key type each one needs
 * (RSA keys sign with rsa-sha2-256/512, RFC 8332 §3) and the hash its signature is
 * verified with (ECDSA by curve, RFC 5656 §6.2.1; Ed25519 hashes internally, RFC 8709).
 */
export const USER_SIGNATURES: Readonly<Record<string, { keyType: string; hash: 'sha256' | 'sha384' | 'sha512' | undefined }>> = {
  'ssh-ed25519': { keyType: 'ssh-ed25519', hash: undefined },
  'ecdsa-sha2-nistp256': { keyType: 'ecdsa-sha2-nistp256', hash: 'sha256' },
  'ecdsa-sha2-nistp384': { keyType: 'ecdsa-sha2-nistp384', hash: 'sha384' },
  'ecdsa-sha2-nistp521': { keyType: 'ecdsa-sha2-nistp521', hash: 'sha512' },
  'rsa-sha2-256': { keyType: 'ssh-rsa', hash: 'sha256' },
  'rsa-sha2-512': { keyType: 'ssh-rsa', hash: 'sha512' },
};

export interface Ssh2Algorithms {
  kex: string[];
  cipher: string[];
  hmac: string[];
  serverHostKey: string[];
}

function narrow(kind: keyof typeof MODERN, wanted: readonly string[] | undefined): string[] {
  const modern: readonly string[] = MODERN[kind];
  if (!wanted) return [...modern];
  const unknown = wanted.filter((name) => !modern.includes(name));
  if (unknown.length > 0) {
    throw new SettingsError(`ssh.algorithms.${kind}: ${unknown.join(', ')} not in the modern set (${modern.join(', ')})`);
  }
  return [...wanted];
}

export function gatewayAlgorithms(settings: Settings['ssh']['algorithms']): Ssh2Algorithms {
  return {
    kex: narrow('kex', settings.kex),
    cipher: narrow('ciphers', settings.ciphers),
    hmac: narrow('macs', settings.macs),
    serverHostKey: narrow('hostKeys', settings.hostKeys),
  };
}
