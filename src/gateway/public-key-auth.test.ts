import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import ssh2 from 'ssh2';
import { parseSshKey } from '../domain/ssh-public-key.js';
import { publicKeyRequestAlgorithm, signatureValid, type PublicKeyRequest, type RequestAlgorithm } from './public-key-auth.js';
import { sshString } from '../auth/ssh-wire.js';

const { generateKeyPairSync } = ssh2.utils;

function keyOf(type: 'rsa' | 'ed25519' | 'ecdsa') {
  const pair = type === 'rsa' ? generateKeyPairSync('rsa', { bits: 2048 }) : type === 'ecdsa' ? generateKeyPairSync('ecdsa', { bits: 256 }) : generateKeyPairSync('ed25519');
  const key = parseSshKey(pair.private);
  if (key instanceof Error) throw key;
  return { key, blob: key.getPublicSSH() };
}

const rsa = keyOf('rsa');
const ed25519 = keyOf('ed25519');
const ecdsa = keyOf('ecdsa');

/** The data a client signs in a publickey request (RFC 4252 §7), naming `algorithm`. */
function signedData(algorithm: string, blob: Buffer): Buffer {
  return Buffer.concat([
    sshString(Buffer.alloc(32, 7)), Buffer.from([50]), sshString('alice'), sshString('ssh-connection'),
    sshString('publickey'), Buffer.from([1]), sshString(algorithm), sshString(blob),
  ]);
}

const request = (keyAlgo: string, hashAlgo: string | undefined, keyBlob: Buffer, signed?: string): PublicKeyRequest =>
  ({ keyAlgo, hashAlgo, keyBlob, signedData: signed === undefined ? undefined : signedData(signed, keyBlob) });

describe('publicKeyRequestAlgorithm', () => {
  const cases: Array<[what: string, request: PublicKeyRequest, expected: RequestAlgorithm]> = [
    ['an Ed25519 key', request('ssh-ed25519', undefined, ed25519.blob, 'ssh-ed25519'), { ok: true, algorithm: 'ssh-ed25519', certificate: false, hash: undefined }],
    ['an ECDSA P-256 key hashes with SHA-256', request('ecdsa-sha2-nistp256', undefined, ecdsa.blob), { ok: true, algorithm: 'ecdsa-sha2-nistp256', certificate: false, hash: 'sha256' }],
    // ssh2 reports rsa-sha2-256/512 as key algorithm ssh-rsa and the hash apart.
    ['rsa-sha2-256', request('ssh-rsa', 'sha256', rsa.blob, 'rsa-sha2-256'), { ok: true, algorithm: 'rsa-sha2-256', certificate: false, hash: 'sha256' }],
    ['rsa-sha2-512 (a query, nothing signed)', request('ssh-rsa', 'sha512', rsa.blob), { ok: true, algorithm: 'rsa-sha2-512', certificate: false, hash: 'sha512' }],
    ['ssh-rsa signs with SHA-1', request('ssh-rsa', undefined, rsa.blob, 'ssh-rsa'), { ok: false, reason: 'signature algorithm ssh-rsa refused (SHA-1)' }],
    ['ssh-dss signs with SHA-1', request('ssh-dss', undefined, rsa.blob), { ok: false, reason: 'signature algorithm ssh-dss refused (SHA-1)' }],
    ['an RSA key offered as ssh-ed25519', request('ssh-ed25519', undefined, rsa.blob, 'ssh-ed25519'), { ok: false, reason: 'signature algorithm ssh-ed25519 does not fit a ssh-rsa key' }],
    ['an Ed25519 key offered as rsa-sha2-256', request('ssh-rsa', 'sha256', ed25519.blob), { ok: false, reason: 'signature algorithm rsa-sha2-256 does not fit a ssh-ed25519 key' }],
    ['a key blob that is not one', request('ssh-ed25519', undefined, Buffer.from([0, 0, 0])), { ok: false, reason: 'signature algorithm ssh-ed25519 does not fit a malformed key' }],
    ['a hash with a key type that has none apart', request('ssh-ed25519', 'sha256', ed25519.blob), { ok: false, reason: 'signature algorithm ssh-ed25519 with hash sha256 not supported' }],
    ['signed data that names another algorithm', request('ssh-rsa', 'sha256', rsa.blob, 'ssh-rsa'), { ok: false, reason: 'signed data does not name signature algorithm rsa-sha2-256' }],
    ['an unknown algorithm, its name cut short', request(`x${'y'.repeat(500)}`, undefined, rsa.blob), { ok: false, reason: `signature algorithm x${'y'.repeat(63)} not supported` }],
    ['a certificate: checked by the certificate path', request('rsa-sha2-256-cert-v01@openssh.com', undefined, rsa.blob, 'rsa-sha2-256-cert-v01@openssh.com'), { ok: true, algorithm: 'rsa-sha2-256-cert-v01@openssh.com', certificate: true }],
  ];
  for (const [what, input, expected] of cases) {
    test(what, () => assert.deepEqual(publicKeyRequestAlgorithm(input), expected));
  }
});

describe('signatureValid', () => {
  const data = signedData('rsa-sha2-256', rsa.blob);

  test('an RSA signature verifies with the hash it was made with, and with no other', () => {
    const sha256 = rsa.key.sign(data, 'sha256');
    const sha1 = rsa.key.sign(data, 'sha1');
    assert.ok(Buffer.isBuffer(sha256) && Buffer.isBuffer(sha1));
    assert.equal(signatureValid(rsa.blob, data, sha256, 'sha256'), true);
    assert.equal(signatureValid(rsa.blob, data, sha1, 'sha256'), false);
    assert.equal(signatureValid(rsa.blob, data, sha256, 'sha512'), false);
  });

  test('an Ed25519 signature verifies; a signature over other data does not', () => {
    const signature = ed25519.key.sign(data);
    assert.ok(Buffer.isBuffer(signature));
    assert.equal(signatureValid(ed25519.blob, data, signature, undefined), true);
    assert.equal(signatureValid(ed25519.blob, Buffer.concat([data, Buffer.from([0])]), signature, undefined), false);
  });

  test('an ECDSA P-256 signature verifies with SHA-256, as the curve says', () => {
    const signature = ecdsa.key.sign(data);
    assert.ok(Buffer.isBuffer(signature));
    assert.equal(signatureValid(ecdsa.blob, data, signature, 'sha256'), true);
    assert.equal(signatureValid(ecdsa.blob, data, signature, 'sha512'), false);
  });

  test('garbage is not a valid signature and does not throw', () => {
    assert.equal(signatureValid(rsa.blob, data, Buffer.alloc(5), 'sha256'), false);
    assert.equal(signatureValid(Buffer.from('not a key'), data, Buffer.alloc(64), undefined), false);
  });
});
