/**
 * OpenSSH certificates built by hand (PROTOCOL.certkeys), so that every field can be bent:
 * for the certificate parser's unit and fuzz tests.
 */
import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

export const str = (bytes: Buffer | string): Buffer => {
  const body = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length);
  return Buffer.concat([length, body]);
};
export const u32 = (n: number): Buffer => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b; };
export const u64 = (n: bigint): Buffer => { const b = Buffer.alloc(8); b.writeBigUInt64BE(n); return b; };
export const mpint = (bytes: Buffer): Buffer => {
  let value = bytes;
  while (value.length > 0 && value[0] === 0) value = value.subarray(1);
  return str(value.length > 0 && value[0] & 0x80 ? Buffer.concat([Buffer.from([0]), value]) : value);
};
export const b64url = (text: string): Buffer => Buffer.from(text, 'base64url');

export interface TestKey {
  /** The plain public key blob. */
  blob: Buffer;
  /** The key fields as a certificate of this key type carries them. */
  certFields: Buffer;
  certType: string;
  /** The public key, for checks made without the code under test. */
  publicKey: KeyObject;
  /** An SSH-framed signature with the given algorithm. */
  sign(data: Buffer, algorithm?: string): Buffer;
}

export function ed25519Key(): TestKey {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = b64url(publicKey.export({ format: 'jwk' }).x!);
  return {
    blob: Buffer.concat([str('ssh-ed25519'), str(raw)]),
    certFields: str(raw),
    certType: 'ssh-ed25519-cert-v01@openssh.com',
    publicKey,
    sign: (data, algorithm = 'ssh-ed25519') => Buffer.concat([str(algorithm), str(sign(null, data, privateKey))]),
  };
}

export function ecdsaKey(curve: 'nistp256' | 'nistp521'): TestKey {
  const named = curve === 'nistp256' ? 'P-256' : 'P-521';
  const hash = curve === 'nistp256' ? 'sha256' : 'sha512';
  const size = curve === 'nistp256' ? 32 : 66;
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: named });
  const jwk = publicKey.export({ format: 'jwk' });
  const point = Buffer.concat([Buffer.from([4]), b64url(jwk.x!), b64url(jwk.y!)]);
  const type = `ecdsa-sha2-${curve}`;
  return {
    blob: Buffer.concat([str(type), str(curve), str(point)]),
    certFields: Buffer.concat([str(curve), str(point)]),
    certType: `${type}-cert-v01@openssh.com`,
    publicKey,
    sign: (data, algorithm = type) => {
      const raw = sign(hash, data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
      const inner = Buffer.concat([mpint(raw.subarray(0, size)), mpint(raw.subarray(size))]);
      return Buffer.concat([str(algorithm), str(inner)]);
    },
  };
}

export function rsaKey(): TestKey {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = publicKey.export({ format: 'jwk' });
  const fields = Buffer.concat([mpint(b64url(jwk.e!)), mpint(b64url(jwk.n!))]);
  const hashes: Record<string, string> = { 'ssh-rsa': 'sha1', 'rsa-sha2-256': 'sha256', 'rsa-sha2-512': 'sha512' };
  return {
    blob: Buffer.concat([str('ssh-rsa'), fields]),
    certFields: fields,
    certType: 'ssh-rsa-cert-v01@openssh.com',
    publicKey,
    sign: (data, algorithm = 'rsa-sha2-512') => Buffer.concat([str(algorithm), str(sign(hashes[algorithm], data, privateKey))]),
  };
}

export interface CertFields {
  key: TestKey;
  ca: TestKey;
  serial?: bigint;
  type?: number;
  keyId?: string;
  principals?: string[];
  validAfter?: bigint;
  validBefore?: bigint;
  critical?: Array<[string, Buffer]>;
  extensions?: Array<[string, Buffer]>;
  caAlgorithm?: string;
  /** Changes the signed body after signing. */
  tamper?: (body: Buffer) => Buffer;
  trailing?: Buffer;
}

export const NOW = new Date('2030-06-01T12:00:00Z');
export const NOW_S = BigInt(NOW.getTime() / 1000);
export const STANDARD_EXTENSIONS: Array<[string, Buffer]> = [
  ['permit-X11-forwarding', Buffer.alloc(0)], ['permit-agent-forwarding', Buffer.alloc(0)],
  ['permit-port-forwarding', Buffer.alloc(0)], ['permit-pty', Buffer.alloc(0)], ['permit-user-rc', Buffer.alloc(0)],
];
export const options = (list: Array<[string, Buffer]>): Buffer => Buffer.concat(list.map(([name, data]) => Buffer.concat([str(name), str(data)])));

export function makeCert(f: CertFields): Buffer {
  const body = Buffer.concat([
    str(f.key.certType), str(randomBytes(32)), f.key.certFields,
    u64(f.serial ?? 42n), u32(f.type ?? 1), str(f.keyId ?? 'alice@laptop'),
    str(Buffer.concat((f.principals ?? ['alice']).map((p) => str(p)))),
    u64(f.validAfter ?? NOW_S - 3600n), u64(f.validBefore ?? NOW_S + 3600n),
    str(options(f.critical ?? [])), str(options(f.extensions ?? STANDARD_EXTENSIONS)), str(''), str(f.ca.blob),
  ]);
  const signature = f.ca.sign(body, f.caAlgorithm);
  return Buffer.concat([f.tamper ? f.tamper(body) : body, str(signature), f.trailing ?? Buffer.alloc(0)]);
}
