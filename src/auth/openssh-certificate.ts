/**
 * OpenSSH user certificates (PROTOCOL.certkeys): the wire form, and the checks sshd makes
 * before it lets a certificate log a user in (auth2-pubkey.c `user_cert_trusted_ca`,
 * sshkey.c `sshkey_cert_check_authority`, auth-options.c `cert_option_list`). Pure: the
 * caller brings the trusted CA keys, the revoked keys, the principals and the clock.
 *
 * Signatures are checked with ssh2's key parser (`parseKey(blob).verify`); what ssh2
 * lacks, and this file adds, is the certificate format and OpenSSH's signature framing.
 */
import { createHash } from 'node:crypto';
import { addressInAny, isCidr } from '../domain/cidr.js';
import { parseSshKey } from '../domain/ssh-public-key.js';
import { Malformed, WireReader, sshString } from './ssh-wire.js';

/** PROTOCOL.certkeys: the `type` field. */
export const CERT_TYPE = { USER: 1, HOST: 2 } as const;
/** `valid_before` of a certificate that never expires. */
export const FOREVER = 0xffffffffffffffffn;

export interface CertificateOption { name: string; data: Buffer }

export interface OpenSshCertificate {
  /** The type name inside the blob, such as `ssh-ed25519-cert-v01@openssh.com`. */
  type: string;
  nonce: Buffer;
  /** The certified key as a plain public key blob (`ssh-ed25519 …`): the key that signs the session. */
  publicKey: Buffer;
  serial: bigint;
  /** 1 user, 2 host. */
  certType: number;
  keyId: string;
  principals: string[];
  /** Seconds since the epoch; 0 is "always". */
  validAfter: bigint;
  /** Seconds since the epoch; `FOREVER` is "forever". */
  validBefore: bigint;
  criticalOptions: CertificateOption[];
  extensions: CertificateOption[];
  /** The CA's public key blob. */
  signatureKey: Buffer;
  /** The CA's signature in SSH framing (`string algorithm, string bytes`). */
  signature: Buffer;
  /** The bytes the CA signed: the blob up to the signature field. */
  signedData: Buffer;
}

/**
 * The certificate types inside a blob, each with the plain key type it certifies and the
 * fields of that key (PROTOCOL.certkeys §"Certificate formats"). Security-key (`sk-`)
 * certificates are not listed: ssh2 cannot verify their signatures.
 */
const CERT_KEY_FORMATS: Record<string, { plainType: string; fields: Array<'string' | 'mpint'> }> = {
  'ssh-ed25519-cert-v01@openssh.com': { plainType: 'ssh-ed25519', fields: ['string'] },
  'ecdsa-sha2-nistp256-cert-v01@openssh.com': { plainType: 'ecdsa-sha2-nistp256', fields: ['string', 'string'] },
  'ecdsa-sha2-nistp384-cert-v01@openssh.com': { plainType: 'ecdsa-sha2-nistp384', fields: ['string', 'string'] },
  'ecdsa-sha2-nistp521-cert-v01@openssh.com': { plainType: 'ecdsa-sha2-nistp521', fields: ['string', 'string'] },
  'ssh-rsa-cert-v01@openssh.com': { plainType: 'ssh-rsa', fields: ['mpint', 'mpint'] },
  'ssh-dss-cert-v01@openssh.com': { plainType: 'ssh-dss', fields: ['mpint', 'mpint', 'mpint', 'mpint'] },
};

/**
 * Public key algorithm names a client may use with a certificate in a userauth request,
 * the certificate type the blob must then hold, and the signature algorithm the client
 * must sign with (OpenSSH `sshkey_check_sigtype`). `ssh-rsa-cert-v01@openssh.com` and
 * `ssh-dss-cert-v01@openssh.com` sign with SHA-1 and are refused, as plain `ssh-rsa` is.
 */
const CERT_ALGORITHMS: Record<string, { certType: string; signatureAlgorithm: string }> = {
  'ssh-ed25519-cert-v01@openssh.com': { certType: 'ssh-ed25519-cert-v01@openssh.com', signatureAlgorithm: 'ssh-ed25519' },
  'ecdsa-sha2-nistp256-cert-v01@openssh.com': { certType: 'ecdsa-sha2-nistp256-cert-v01@openssh.com', signatureAlgorithm: 'ecdsa-sha2-nistp256' },
  'ecdsa-sha2-nistp384-cert-v01@openssh.com': { certType: 'ecdsa-sha2-nistp384-cert-v01@openssh.com', signatureAlgorithm: 'ecdsa-sha2-nistp384' },
  'ecdsa-sha2-nistp521-cert-v01@openssh.com': { certType: 'ecdsa-sha2-nistp521-cert-v01@openssh.com', signatureAlgorithm: 'ecdsa-sha2-nistp521' },
  'rsa-sha2-256-cert-v01@openssh.com': { certType: 'ssh-rsa-cert-v01@openssh.com', signatureAlgorithm: 'rsa-sha2-256' },
  'rsa-sha2-512-cert-v01@openssh.com': { certType: 'ssh-rsa-cert-v01@openssh.com', signatureAlgorithm: 'rsa-sha2-512' },
};

/** True for the public key algorithm names of certificates (`…-cert-v01@openssh.com`). */
export function isCertificateAlgorithm(algorithm: string): boolean {
  return /-cert-v0[01]@openssh\.com$/.test(algorithm);
}

/** The key type named at the start of a public key or certificate blob, or null. */
export function blobType(blob: Buffer): string | null {
  try {
    return new WireReader(blob).text('key type');
  } catch {
    return null;
  }
}

function parseOptions(section: Buffer, what: string): CertificateOption[] {
  const reader = new WireReader(section);
  const options: CertificateOption[] = [];
  while (!reader.done) {
    const name = reader.text(`${what} name`);
    const data = reader.string(`${what} ${name}`);
    if (options.some((o) => o.name === name)) throw new Malformed(`${what} ${name} appears twice`);
    options.push({ name, data });
  }
  return options;
}

export type ParsedCertificate = { ok: true; cert: OpenSshCertificate } | { ok: false; reason: string };

/** Parses a certificate blob (PROTOCOL.certkeys); the CA signature is not checked here. */
export function parseCertificate(blob: Buffer): ParsedCertificate {
  try {
    const reader = new WireReader(blob);
    const type = reader.text('certificate type');
    const format = CERT_KEY_FORMATS[type];
    // The name comes from an unauthenticated client: keep what reaches the audit log short.
    if (!format) return { ok: false, reason: `unsupported certificate type ${type.slice(0, 64)}` };
    const nonce = reader.string('nonce');
    const keyStart = reader.position;
    const fields = format.fields.map((_, index) => reader.string(`public key field ${index + 1}`));
    const publicKey = Buffer.concat([sshString(format.plainType), blob.subarray(keyStart, reader.position)]);
    if (format.plainType.startsWith('ecdsa-') && `ecdsa-sha2-${fields[0].toString('latin1')}` !== format.plainType) {
      throw new Malformed(`curve ${fields[0].toString('latin1')} does not match ${type}`);
    }
    const serial = reader.uint64('serial');
    const certType = reader.uint32('type');
    const keyId = reader.text('key id');
    const principalsSection = new WireReader(reader.string('valid principals'));
    const principals: string[] = [];
    while (!principalsSection.done) principals.push(principalsSection.text('principal'));
    const validAfter = reader.uint64('valid after');
    const validBefore = reader.uint64('valid before');
    const criticalOptions = parseOptions(reader.string('critical options'), 'critical option');
    const extensions = parseOptions(reader.string('extensions'), 'extension');
    reader.string('reserved');
    const signatureKey = reader.string('signature key');
    const signedData = blob.subarray(0, reader.position);
    const signature = reader.string('signature');
    if (!reader.done) throw new Malformed('trailing data after the signature');
    if (certType !== CERT_TYPE.USER && certType !== CERT_TYPE.HOST) throw new Malformed(`unknown certificate type ${certType}`);
    // sshkey.c: a CA key may not itself be a certificate.
    const caType = blobType(signatureKey);
    if (caType === null || isCertificateAlgorithm(caType)) throw new Malformed('signature key is not a plain public key');
    return {
      ok: true,
      cert: {
        type, nonce, publicKey, serial, certType, keyId, principals, validAfter, validBefore,
        criticalOptions, extensions, signatureKey, signature, signedData,
      },
    };
  } catch (error) {
    if (error instanceof Malformed) return { ok: false, reason: `certificate malformed: ${error.message}` };
    throw error;
  }
}

/** OpenSSH's SHA256 fingerprint of a key blob. */
export function keyFingerprint(blob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

/** ECDSA signatures travel as two mpints (RFC 5656 §3.1.2); OpenSSL wants DER. */
function ecdsaSignatureToDer(bytes: Buffer): Buffer {
  const reader = new WireReader(bytes);
  const integers = [reader.string('r'), reader.string('s')];
  if (!reader.done) throw new Malformed('trailing data in ECDSA signature');
  const der = (body: Buffer, tag: number): Buffer => {
    if (body.length >= 0x80) {
      const length = body.length < 0x100 ? Buffer.from([0x81, body.length]) : Buffer.from([0x82, body.length >> 8, body.length & 0xff]);
      return Buffer.concat([Buffer.from([tag]), length, body]);
    }
    return Buffer.concat([Buffer.from([tag, body.length]), body]);
  };
  const encoded = integers.map((mpint) => {
    let value = mpint;
    while (value.length > 1 && value[0] === 0 && !(value[1] & 0x80)) value = value.subarray(1);
    if (value.length === 0) value = Buffer.from([0]);
    if (value[0] & 0x80) value = Buffer.concat([Buffer.from([0]), value]);
    return der(value, 0x02);
  });
  return der(Buffer.concat(encoded), 0x30);
}

/** The hash for a signature algorithm on a key type, or why the pair is refused. */
function signatureHash(keyType: string, algorithm: string): { ok: true; hash: string | undefined } | { ok: false; reason: string; sha1?: boolean } {
  if (keyType === 'ssh-rsa') {
    if (algorithm === 'rsa-sha2-256') return { ok: true, hash: 'sha256' };
    if (algorithm === 'rsa-sha2-512') return { ok: true, hash: 'sha512' };
    if (algorithm === 'ssh-rsa') return { ok: false, reason: 'signature algorithm ssh-rsa refused (SHA-1)', sha1: true };
  } else if (keyType === 'ssh-dss') {
    return { ok: false, reason: 'signature algorithm ssh-dss refused (SHA-1)', sha1: true };
  } else if (keyType === algorithm && (keyType === 'ssh-ed25519' || keyType.startsWith('ecdsa-sha2-nistp'))) {
    // ECDSA hashes by curve (RFC 5656 §6.2.1); ssh2 knows which from the key.
    return { ok: true, hash: undefined };
  }
  return { ok: false, reason: `signature algorithm ${algorithm} does not fit a ${keyType} key` };
}

export type SignatureCheck = { ok: true; algorithm: string } | { ok: false; reason: string; sha1?: boolean };

/**
 * Verifies an SSH-framed signature (`string algorithm, string bytes`, RFC 4253 §6.6) over
 * `data` with a plain public key blob. `expectedAlgorithm`, when given, is the only
 * algorithm accepted (the one the certificate algorithm of a userauth request implies).
 */
export function verifySshSignature(keyBlob: Buffer, data: Buffer, signature: Buffer, expectedAlgorithm?: string): SignatureCheck {
  let algorithm: string;
  let bytes: Buffer;
  try {
    const reader = new WireReader(signature);
    algorithm = reader.text('signature algorithm');
    bytes = reader.string('signature');
    if (!reader.done) return { ok: false, reason: 'signature malformed: trailing data' };
  } catch (error) {
    if (error instanceof Malformed) return { ok: false, reason: `signature malformed: ${error.message}` };
    throw error;
  }
  const keyType = blobType(keyBlob);
  if (keyType === null) return { ok: false, reason: 'key malformed' };
  const hash = signatureHash(keyType, algorithm);
  if (!hash.ok) return hash;
  if (expectedAlgorithm !== undefined && algorithm !== expectedAlgorithm) {
    return { ok: false, reason: `signature algorithm ${algorithm} does not match ${expectedAlgorithm}` };
  }
  const key = parseSshKey(keyBlob);
  if (key instanceof Error) return { ok: false, reason: `key not usable: ${key.message}` };
  let material = bytes;
  if (keyType.startsWith('ecdsa-')) {
    try {
      material = ecdsaSignatureToDer(bytes);
    } catch {
      return { ok: false, reason: 'signature malformed: ECDSA values' };
    }
  }
  return key.verify(data, material, hash.hash) === true ? { ok: true, algorithm } : { ok: false, reason: 'signature does not verify' };
}

/** A set of public key blobs: trusted CA keys, revoked keys. */
export interface KeySet { has(blob: Buffer): boolean }

export interface CertificateChecks {
  trustedCAs: KeySet;
  revoked: KeySet;
  /** The certificate principals that log in as the user (`principalsOf(user)`). */
  principals: readonly string[];
  clientIp: string;
  now: Date;
}

export interface CertificatePermits {
  /** `permit-port-forwarding`: direct-tcpip channels (jump and forward) are allowed. */
  portForwarding: boolean;
}

export type CertificateVerdict =
  | { ok: true; cert: OpenSshCertificate; fingerprint: string; permits: CertificatePermits }
  /** `suspicious`: a forged or tampered certificate, counted as a failure at once. */
  | { ok: false; reason: string; suspicious?: boolean };

/**
 * Whether a certificate may log in the user whose principals are given, before the
 * client's own signature is checked. The order follows sshd: revocation, trust and the
 * CA signature, then type, validity window and principals, then the critical options.
 */
export function checkUserCertificate(blob: Buffer, checks: CertificateChecks): CertificateVerdict {
  const parsed = parseCertificate(blob);
  if (!parsed.ok) return { ok: false, reason: parsed.reason, suspicious: true };
  const { cert } = parsed;

  if (checks.revoked.has(cert.publicKey) || checks.revoked.has(blob)) return { ok: false, reason: 'certificate revoked' };
  if (checks.revoked.has(cert.signatureKey)) return { ok: false, reason: `certificate revoked (its CA ${keyFingerprint(cert.signatureKey)} is revoked)` };
  if (!checks.trustedCAs.has(cert.signatureKey)) return { ok: false, reason: 'certificate CA not trusted' };
  const caSignature = verifySshSignature(cert.signatureKey, cert.signedData, cert.signature);
  if (!caSignature.ok) {
    if (caSignature.sha1) return { ok: false, reason: `CA ${caSignature.reason}` };
    return { ok: false, reason: 'CA signature invalid', suspicious: true };
  }

  if (cert.certType !== CERT_TYPE.USER) return { ok: false, reason: 'certificate is a host certificate, not a user certificate' };
  const now = BigInt(Math.floor(checks.now.getTime() / 1000));
  if (now < cert.validAfter) return { ok: false, reason: 'certificate not yet valid' };
  if (now >= cert.validBefore) return { ok: false, reason: 'certificate expired' };
  if (cert.principals.length === 0) return { ok: false, reason: 'certificate has no principals' };
  // User certificates match principals exactly (sshkey_cert_check_authority): no wildcards.
  if (!checks.principals.some((p) => cert.principals.includes(p))) {
    return { ok: false, reason: `certificate principal mismatch (${checks.principals.join(', ')} not in [${cert.principals.join(', ')}])` };
  }

  const optionRefusal = checkCriticalOptions(cert.criticalOptions, checks.clientIp);
  if (optionRefusal) return { ok: false, reason: optionRefusal };

  return {
    ok: true,
    cert,
    fingerprint: keyFingerprint(cert.publicKey),
    permits: { portForwarding: cert.extensions.some((e) => e.name === 'permit-port-forwarding') },
  };
}

/** The one string a critical option's data holds (`force-command`, `source-address`). */
function optionText(option: CertificateOption): string | null {
  try {
    const reader = new WireReader(option.data);
    const text = reader.text(option.name);
    return reader.done ? text : null;
  } catch {
    return null;
  }
}

/**
 * auth-options.c `cert_option_list`: an unknown critical option refuses the certificate.
 * `force-command` is refused too, because the gateway has no shell to run it in;
 * `verify-required` only concerns security keys, which are not accepted here anyway.
 */
function checkCriticalOptions(options: readonly CertificateOption[], clientIp: string): string | null {
  for (const option of options) {
    switch (option.name) {
      case 'verify-required':
        if (option.data.length !== 0) return 'critical option verify-required malformed';
        break;
      case 'force-command':
        return 'force-command not allowed (no shell on the gateway)';
      case 'source-address': {
        const list = optionText(option);
        // OpenSSH addr_match_cidr_list: comma-separated addresses and CIDR blocks, no spaces.
        const blocks = list?.split(',') ?? [];
        if (list === null || list === '' || !blocks.every((b) => b !== '' && b.trim() === b && isCidr(b))) {
          return `source-address invalid: ${list ?? 'not a string'}`;
        }
        if (!addressInAny(clientIp, blocks)) return `source-address: ${clientIp} not in ${list}`;
        break;
      }
      default:
        return `unknown critical option ${option.name}`;
    }
  }
  return null;
}

export type AlgorithmCheck = { ok: true; signatureAlgorithm: string } | { ok: false; reason: string };

/** Whether a userauth request's certificate algorithm fits the blob it carries. */
export function checkCertificateAlgorithm(algorithm: string, blob: Buffer): AlgorithmCheck {
  if (algorithm === 'ssh-rsa-cert-v01@openssh.com' || algorithm === 'ssh-dss-cert-v01@openssh.com') {
    return { ok: false, reason: `signature algorithm ${algorithm} refused (SHA-1)` };
  }
  const known = CERT_ALGORITHMS[algorithm];
  // Both names come from an unauthenticated client: keep what reaches the audit log short.
  if (!known) return { ok: false, reason: `certificate algorithm ${algorithm.slice(0, 64)} not supported` };
  const type = blobType(blob);
  if (type !== known.certType) return { ok: false, reason: `certificate type ${type?.slice(0, 64) ?? 'unreadable'} does not match algorithm ${algorithm}` };
  return { ok: true, signatureAlgorithm: known.signatureAlgorithm };
}

/** The certified key's blob of a certificate blob, or null when it is not one. */
export function certifiedKey(blob: Buffer): Buffer | null {
  const parsed = parseCertificate(blob);
  return parsed.ok ? parsed.cert.publicKey : null;
}
