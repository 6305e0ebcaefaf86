/** Public-key authentication decisions, apart from the ssh2 callbacks that carry them out. */
import { principalsOf, type User } from '../domain/resources.js';
import { publicKeyBlob, fingerprint, parseSshKey } from '../domain/ssh-public-key.js';
import { addressInAny } from '../domain/cidr.js';
import { blobType, checkCertificateAlgorithm, checkUserCertificate, isCertificateAlgorithm, verifySshSignature, type KeySet } from '../auth/openssh-certificate.js';
import { Malformed, WireReader } from '../auth/ssh-wire.js';
import { LEGACY_SIGNATURES, USER_SIGNATURES } from './algorithms.js';
import { BoundedRecentMap } from './bounded-recent-map.js';
import type { ParsedKey } from 'ssh2';

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
    const blob = listedKeyBlob(line);
    if (!blob || !blob.equals(keyBlob)) continue;
    if (typeof entry !== 'string' && entry.expires && new Date(entry.expires).getTime() <= now.getTime()) {
      return { ok: false, reason: `key ${fingerprint(keyBlob)} expired on ${entry.expires}` };
    }
    return { ok: true, fingerprint: fingerprint(keyBlob) };
  }
  return { ok: false, reason: `key ${fingerprint(keyBlob)} is not one of ${user.name}'s keys` };
}

/**
 * The blobs of the key lines users list, decoded once: every login (and each key query
 * before it) compares the offered key with the user's lines. Lines come from the
 * operator, not from clients; the map is bounded all the same.
 */
const listedBlobs = new BoundedRecentMap<Buffer | null>(4096, () => false);

function listedKeyBlob(line: string): Buffer | null {
  const known = listedBlobs.get(line, 0);
  if (known !== undefined) return known;
  const blob = publicKeyBlob(line);
  listedBlobs.set(line, blob, 0);
  return blob;
}

/** What a publickey request (RFC 4252 §7) carries, as ssh2 hands it over. */
export interface PublicKeyRequest {
  /** ssh2's `key.algo`: `ssh-rsa` also for rsa-sha2-256/512 requests. */
  keyAlgo: string;
  /** ssh2's `hashAlgo`: `sha256` or `sha512` for rsa-sha2-256/512 requests, else none. */
  hashAlgo: string | undefined;
  keyBlob: Buffer;
  /** The data the client signed (absent when it only asks whether the key would do). */
  signedData: Buffer | undefined;
}

export type RequestAlgorithm =
  | { ok: true; algorithm: string; certificate: true }
  | { ok: true; algorithm: string; certificate: false; hash: 'sha256' | 'sha384' | 'sha512' | undefined }
  | { ok: false; reason: string };

/** The name of the signature algorithm ssh2 reports as `keyAlgo` and `hashAlgo`. */
function algorithmName(keyAlgo: string, hashAlgo: string | undefined): string | null {
  if (hashAlgo === undefined) return keyAlgo;
  if (keyAlgo !== 'ssh-rsa') return null;
  if (hashAlgo === 'sha256') return 'rsa-sha2-256';
  if (hashAlgo === 'sha512') return 'rsa-sha2-512';
  return null;
}

/** The public key algorithm name inside the signed data (RFC 4252 §7), or null. */
function signedAlgorithmName(signedData: Buffer): string | null {
  try {
    const reader = new WireReader(signedData);
    reader.string('session identifier');
    if (reader.byte('message number') !== 50) return null; // SSH_MSG_USERAUTH_REQUEST
    reader.string('user name');
    reader.string('service name');
    if (reader.text('method name') !== 'publickey') return null;
    reader.byte('has signature');
    return reader.text('public key algorithm name');
  } catch (error) {
    if (error instanceof Malformed) return null;
    throw error;
  }
}

/**
 * The signature algorithm of a publickey request, decided on what the client sent, and
 * the hash its signature is verified with. ssh2 reports an rsa-sha2-256/512 request as
 * key algorithm `ssh-rsa` with the hash apart; only a request named `ssh-rsa` signs with
 * SHA-1 (RFC 8332 §3), and that one is refused. The name the client signed over is read
 * from the signed data too, and must agree. As sshd (auth2-pubkey.c, "key type
 * mismatch"), the algorithm must fit the key blob's type: an RSA key offered under
 * another name would otherwise be verified with ssh2's default hash for RSA, SHA-1.
 */
export function publicKeyRequestAlgorithm(request: PublicKeyRequest): RequestAlgorithm {
  const name = algorithmName(request.keyAlgo, request.hashAlgo);
  // Names come from an unauthenticated client: keep what reaches the audit log short.
  if (name === null) return { ok: false, reason: `signature algorithm ${request.keyAlgo.slice(0, 64)} with hash ${request.hashAlgo?.slice(0, 16)} not supported` };
  if (request.signedData !== undefined && signedAlgorithmName(request.signedData) !== name) {
    return { ok: false, reason: `signed data does not name signature algorithm ${name.slice(0, 64)}` };
  }
  if (isCertificateAlgorithm(name)) return { ok: true, algorithm: name, certificate: true };
  if (LEGACY_SIGNATURES.has(name)) return { ok: false, reason: `signature algorithm ${name} refused (SHA-1)` };
  const known = USER_SIGNATURES[name];
  if (!known) return { ok: false, reason: `signature algorithm ${name.slice(0, 64)} not supported` };
  const keyType = blobType(request.keyBlob);
  if (keyType !== known.keyType) return { ok: false, reason: `signature algorithm ${name} does not fit a ${keyType?.slice(0, 64) ?? 'malformed'} key` };
  return { ok: true, algorithm: name, certificate: false, hash: known.hash };
}

/**
 * Verifies the client's signature over the session blob (RFC 4252 §7) with the hash the
 * request's algorithm names, never ssh2's default for the key type (SHA-1 for RSA).
 */
export function signatureValid(keyBlob: Buffer, signedData: Buffer, signature: Buffer, hash: 'sha256' | 'sha384' | 'sha512' | undefined): boolean {
  const key = parsedKey(keyBlob);
  if (key instanceof Error) return false;
  return key.verify(signedData, signature, hash) === true;
}

/**
 * Keys of recent logins, parsed: a parsed key keeps its decoded form for the next
 * verification, and decoding costs more than verifying. Only keys a user lists reach
 * here (checkUserKey comes first), and the map is bounded all the same.
 */
const recentKeys = new BoundedRecentMap<ParsedKey>(1024, () => false);

function parsedKey(keyBlob: Buffer): ParsedKey | Error {
  const id = keyBlob.toString('base64');
  const known = recentKeys.get(id, 0);
  if (known) return known;
  const key = parseSshKey(keyBlob);
  if (!(key instanceof Error)) recentKeys.set(id, key, 0);
  return key;
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

export type CertificateLoginVerdict = { ok: true; login: CertificateLogin; signedByUserCa: boolean } | { ok: false; reason: string; counts: boolean };

/**
 * Whether `user` may log in with an OpenSSH certificate (`algorithm` as the client named
 * it, `certBlob` the certificate) from `ip`, before the client's signature is checked.
 */
export function checkCertificateLogin(
  user: User | null, algorithm: string, certBlob: Buffer, ip: string,
  trust: { trustedCAs: KeySet; revoked: KeySet; userCa?: Buffer | null }, now = new Date(),
): CertificateLoginVerdict {
  const refusal = userRefusal(user, ip);
  if (refusal || !user) return { ok: false, reason: refusal ?? 'unknown user', counts: false };
  const fits = checkCertificateAlgorithm(algorithm, certBlob);
  if (!fits.ok) return { ok: false, reason: fits.reason, counts: false };
  const verdict = checkUserCertificate(certBlob, { ...trust, principals: principalsOf(user), clientIp: ip, now });
  if (!verdict.ok) return { ok: false, reason: verdict.reason, counts: verdict.suspicious === true };
  return {
    ok: true,
    signedByUserCa: Boolean(trust.userCa?.equals(verdict.cert.signatureKey)),
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
