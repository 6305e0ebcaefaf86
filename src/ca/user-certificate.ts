/**
 * Writes OpenSSH user certificates (PROTOCOL.certkeys) for Ed25519 keys, signed by an
 * Ed25519 CA: the certificates the gateway presents to targets that trust its target CA.
 * Parsing and checking certificates is src/auth/openssh-certificate.ts; this is the
 * signing side, kept to the one key type the gateway generates.
 */
import type { ParsedKey } from 'ssh2';
import { sshString, WireReader } from '../auth/ssh-wire.js';

const ED25519 = 'ssh-ed25519';
export const ED25519_CERT = 'ssh-ed25519-cert-v01@openssh.com';
const USER_CERT = 1;

export interface UserCertificateFields {
  /** The certified key, a plain `ssh-ed25519` public key blob. */
  publicKey: Buffer;
  serial: bigint;
  keyId: string;
  principals: readonly string[];
  /** Seconds since the epoch. */
  validAfter: bigint;
  validBefore: bigint;
  /** Extension names such as `permit-pty` (flags: their data is empty). */
  extensions: readonly string[];
  /** 32 random bytes: makes the signed data unpredictable (PROTOCOL.certkeys "nonce"). */
  nonce: Buffer;
}

function uint64(value: bigint): Buffer {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64BE(value);
  return bytes;
}

function uint32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value);
  return bytes;
}

/** The 32-byte point of a plain `ssh-ed25519` public key blob. */
function ed25519Point(blob: Buffer, what: string): Buffer {
  const reader = new WireReader(blob);
  const type = reader.text(`${what} type`);
  const point = reader.string(`${what} key`);
  if (type !== ED25519 || point.length !== 32 || !reader.done) throw new Error(`${what} is not an ssh-ed25519 public key`);
  return point;
}

/** The certificate blob: every field, then the CA's signature over all of them. */
export function signUserCertificate(ca: ParsedKey, fields: UserCertificateFields): Buffer {
  if (ca.type !== ED25519 || !ca.isPrivateKey()) throw new Error('the CA must be an ssh-ed25519 private key');
  if (fields.nonce.length !== 32) throw new Error('the nonce must be 32 bytes');
  const caBlob = ca.getPublicSSH();
  ed25519Point(caBlob, 'the CA key');
  // PROTOCOL.certkeys: extensions sorted by name, each with its (empty) data.
  const extensions = [...fields.extensions].sort().map((name) => Buffer.concat([sshString(name), sshString(Buffer.alloc(0))]));
  const signed = Buffer.concat([
    sshString(ED25519_CERT),
    sshString(fields.nonce),
    sshString(ed25519Point(fields.publicKey, 'the certified key')),
    uint64(fields.serial),
    uint32(USER_CERT),
    sshString(fields.keyId),
    sshString(Buffer.concat(fields.principals.map((p) => sshString(p)))),
    uint64(fields.validAfter),
    uint64(fields.validBefore),
    sshString(Buffer.alloc(0)), // critical options: none
    sshString(Buffer.concat(extensions)),
    sshString(Buffer.alloc(0)), // reserved
    sshString(caBlob),
  ]);
  const signature = ca.sign(signed);
  if (signature instanceof Error) throw signature;
  return Buffer.concat([signed, sshString(Buffer.concat([sshString(ED25519), sshString(signature)]))]);
}
