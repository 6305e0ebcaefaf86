/** Public-key authentication decisions, apart from the ssh2 callbacks that carry them out. */
import ssh2 from 'ssh2';
import { principalsOf, type User } from '../domain/resources.js';
import { publicKeyBlob, fingerprint } from '../domain/ssh-public-key.js';
import { addressInAny } from '../domain/cidr.js';
import { checkCertificateAlgorithm, checkUserCertificate, verifySshSignature, type KeySet } from '../auth/openssh-certificate.js';

const { parseKey } = ssh2.utils;

export type KeyVerdict = { ok: true; fingerprint: string } | { ok: false; reason: string };

/** The refusals that hold whatever the key: unknown or disabled user, source address. */
function userRefusal(user: User | null, ip: string): string | null {
  if (!user) return 'unknown user';
  if (user.disabled) return 'user disabled';
  if (user.sourceCidrs.length > 0 && !addressInAny(ip, user.sourceCidrs)) return `source address ${ip} not allowed for ${user.name}`;
  return null;
}

/** Whether `user` may log in with the key blob from `ip` (before the signature is checked). */
export function checkUserKey(user: User | null, keyBlob: Buffer, ip: string, now = new Date(), revoked?: KeySet): KeyVerdict {
  const refusal = userRefusal(user, ip);
  if (refusal || !user) return { ok: false, reason: refusal ?? 'unknown user' };
  // sshd checks RevokedKeys before any authorized key (auth2-pubkey.c user_key_allowed).
  if (revoked?.has(keyBlob)) return { ok: false, reason: `key ${fingerprint(keyBlob)} revoked` };
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

export interface CertificateLogin {
  /** Fingerprint of the certified key. */
  fingerprint: string;
  keyId: string;
  /** The serial in decimal: a 64-bit number does not fit a JSON number. */
  serial: string;
  portForwardingPermitted: boolean;
  /** What the client's signature must be made with, and by. */
  certifiedKey: Buffer;
  signatureAlgorithm: string;
}

export type CertificateLoginVerdict = { ok: true; login: CertificateLogin } | { ok: false; reason: string; counts: boolean };

/**
 * Whether `user` may log in with an OpenSSH certificate (`algorithm` as the client named
 * it, `certBlob` the certificate) from `ip`, before the client's signature is checked.
 */
export function checkCertificateLogin(
  user: User | null, algorithm: string, certBlob: Buffer, ip: string,
  trust: { trustedCAs: KeySet; revoked: KeySet }, now = new Date(),
): CertificateLoginVerdict {
  const refusal = userRefusal(user, ip);
  if (refusal || !user) return { ok: false, reason: refusal ?? 'unknown user', counts: false };
  const fits = checkCertificateAlgorithm(algorithm, certBlob);
  if (!fits.ok) return { ok: false, reason: fits.reason, counts: false };
  const verdict = checkUserCertificate(certBlob, { ...trust, principals: principalsOf(user), clientIp: ip, now });
  if (!verdict.ok) return { ok: false, reason: verdict.reason, counts: verdict.suspicious === true };
  return {
    ok: true,
    login: {
      fingerprint: verdict.fingerprint,
      keyId: verdict.cert.keyId,
      serial: verdict.cert.serial.toString(),
      portForwardingPermitted: verdict.permits.portForwarding,
      certifiedKey: verdict.cert.publicKey,
      signatureAlgorithm: fits.signatureAlgorithm,
    },
  };
}

/**
 * Verifies the client's signature for a certificate login. ssh2 leaves it in SSH framing
 * for certificate algorithms (it unwraps only plain key algorithms), and it is made by
 * the certified key, not by the certificate.
 */
export function certificateSignatureValid(login: CertificateLogin, signedData: Buffer, signature: Buffer): boolean {
  return verifySshSignature(login.certifiedKey, signedData, signature, login.signatureAlgorithm).ok;
}
