/**
 * A self-signed TLS certificate for a listener that `jumpgate init` sets up (the RD Gateway),
 * made with Node's crypto alone: an ECDSA P-256 key and an X.509 v3 certificate (RFC 5280)
 * encoded here in DER. It lets the listener work at once; an operator replaces the pair
 * with one their clients trust. The private key file is written 0600.
 */
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';

const VALID_DAYS = 825;

/** Writes `certFile` and `keyFile` unless the certificate exists; true when it wrote them. */
export function ensureSelfSignedPair(certFile: string, keyFile: string, hostName: string): boolean {
  if (existsSync(certFile)) return false;
  const { cert, key } = selfSignedCertificate(hostName);
  for (const file of [certFile, keyFile]) mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(keyFile, key, { mode: 0o600 });
  writeFileSync(certFile, cert, { mode: 0o644 });
  return true;
}

/** A PEM certificate for `hostName` (its subject and DNS name, plus localhost and 127.0.0.1) and its PEM key. */
export function selfSignedCertificate(hostName: string, now = new Date()): { cert: string; key: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ecdsaWithSha256 = sequence(oid('1.2.840.10045.4.3.2'));
  const name = sequence(set(sequence(oid('2.5.4.3'), utf8(`jumpgate ${hostName}`.slice(0, 64)))));
  const notAfter = new Date(now.getTime() + VALID_DAYS * 86_400_000);
  const altNames = [...new Set([hostName, 'localhost'])].map((host) => (isIP(host) ? ipName(host) : tagged(0x82, Buffer.from(host, 'ascii'))));
  altNames.push(ipName('127.0.0.1'));
  const extensions = explicit(3, sequence(
    extension('2.5.29.17', false, sequence(...altNames)),
    extension('2.5.29.19', true, sequence()),
    // digitalSignature: an ECDSA key signs the TLS handshake.
    extension('2.5.29.15', true, bitString(Buffer.from([0x80]), 7)),
    extension('2.5.29.37', false, sequence(oid('1.3.6.1.5.5.7.3.1'))),
  ));
  // Positive and minimally encoded (DER): first byte 0x40–0x7f. A first byte of 0x00 would
  // make a non-minimal INTEGER, which OpenSSL refuses to parse (1 certificate in 256).
  const serial = randomBytes(16);
  serial[0] = (serial[0] & 0x3f) | 0x40;
  const tbs = sequence(
    explicit(0, integer(Buffer.from([2]))),
    integer(serial),
    ecdsaWithSha256,
    name,
    sequence(time(now), time(notAfter)),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    extensions,
  );
  const signature = sign('sha256', tbs, { key: privateKey, dsaEncoding: 'der' });
  const der = sequence(tbs, ecdsaWithSha256, bitString(signature, 0));
  const pem = `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{1,64}/g, '$&\n')}-----END CERTIFICATE-----\n`;
  return { cert: pem, key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

function tagged(tag: number, content: Buffer): Buffer {
  const length = content.length;
  const lengthBytes = length < 0x80 ? Buffer.from([length])
    : length < 0x100 ? Buffer.from([0x81, length])
      : Buffer.from([0x82, length >> 8, length & 0xff]);
  return Buffer.concat([Buffer.from([tag]), lengthBytes, content]);
}

const sequence = (...items: Buffer[]): Buffer => tagged(0x30, Buffer.concat(items));
const set = (...items: Buffer[]): Buffer => tagged(0x31, Buffer.concat(items));
const explicit = (n: number, item: Buffer): Buffer => tagged(0xa0 + n, item);
const utf8 = (text: string): Buffer => tagged(0x0c, Buffer.from(text, 'utf8'));
const bitString = (bits: Buffer, unused: number): Buffer => tagged(0x03, Buffer.concat([Buffer.from([unused]), bits]));
const boolean = (value: boolean): Buffer => tagged(0x01, Buffer.from([value ? 0xff : 0]));
const octetString = (content: Buffer): Buffer => tagged(0x04, content);

function integer(value: Buffer): Buffer {
  return tagged(0x02, value[0] & 0x80 ? Buffer.concat([Buffer.from([0]), value]) : value);
}

function oid(dotted: string): Buffer {
  const [first, second, ...rest] = dotted.split('.').map(Number);
  const bytes = [first * 40 + second];
  for (const arc of rest) {
    const groups = [arc & 0x7f];
    for (let v = arc >> 7; v > 0; v >>= 7) groups.unshift((v & 0x7f) | 0x80);
    bytes.push(...groups);
  }
  return tagged(0x06, Buffer.from(bytes));
}

/** UTCTime up to 2049, GeneralizedTime after (RFC 5280 §4.1.2.5). */
function time(date: Date): Buffer {
  const iso = date.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';
  return date.getUTCFullYear() < 2050 ? tagged(0x17, Buffer.from(iso.slice(2), 'ascii')) : tagged(0x18, Buffer.from(iso, 'ascii'));
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return sequence(oid(id), ...(critical ? [boolean(true)] : []), octetString(value));
}

function ipName(address: string): Buffer {
  const bytes = isIP(address) === 4 ? Buffer.from(address.split('.').map(Number)) : ipv6Bytes(address);
  return tagged(0x87, bytes);
}

function ipv6Bytes(address: string): Buffer {
  const [head, tail = ''] = address.split('::');
  const parts = (text: string) => (text ? text.split(':').map((h) => parseInt(h, 16)) : []);
  const left = parts(head);
  const right = address.includes('::') ? parts(tail) : [];
  const words = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  const buffer = Buffer.alloc(16);
  words.forEach((word, i) => buffer.writeUInt16BE(word, i * 2));
  return buffer;
}
