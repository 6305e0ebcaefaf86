/**
 * The certificate parser reads what a client offers before it has authenticated.
 * Properties: arbitrary bytes, and valid certificates bent by a few mutations, never make
 * it throw (a malformed blob is a refusal, not an exception) and are never accepted
 * unless the CA's signature over them verifies, checked here with node:crypto alone; and
 * certificates a trusted CA signed over arbitrary fields are accepted exactly when a
 * simple model of sshd's rules says so.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { verify } from 'node:crypto';
import fc from 'fast-check';
import { fuzz, fuzzTimeoutMs } from '../../test/helpers/fuzz.js';
import { ed25519Key, makeCert, NOW, NOW_S, rsaKey, str, type TestKey } from '../../test/helpers/certificates.js';
import { checkUserCertificate, FOREVER, parseCertificate, type CertificateChecks } from './openssh-certificate.js';
import { KeyList } from './revoked-keys.js';

const KEY = ed25519Key();
const ED_CA = ed25519Key();
const RSA_CA = rsaKey();
const UNTRUSTED_CA = ed25519Key();

function checks(): CertificateChecks {
  const trustedCAs = new KeyList();
  trustedCAs.add(ED_CA.blob);
  trustedCAs.add(RSA_CA.blob);
  return { trustedCAs, revoked: new KeyList(), principals: ['alice'], clientIp: '127.0.0.1', now: NOW };
}
const CHECKS = checks();

/** Whether the CA named in the blob signed it, decided by node:crypto with the CA's own key object. */
function caSignatureVerifies(blob: Buffer, signedData: Buffer, signature: Buffer): boolean {
  if (!blob.subarray(0, signedData.length).equals(signedData)) return false;
  const algorithmLength = signature.readUInt32BE(0);
  const algorithm = signature.subarray(4, 4 + algorithmLength).toString('latin1');
  const raw = signature.subarray(8 + algorithmLength);
  for (const ca of [ED_CA, RSA_CA]) {
    const hash = algorithm === 'ssh-ed25519' ? null : algorithm === 'rsa-sha2-256' ? 'sha256' : algorithm === 'rsa-sha2-512' ? 'sha512' : undefined;
    if (hash === undefined) return false;
    try {
      if (verify(hash, signedData, ca.publicKey, raw)) return true;
    } catch {
      // Not this CA's kind of key.
    }
  }
  return false;
}

/** Valid user certificates of trusted CAs, with the signature algorithms a CA may use. */
const VALID: Array<{ ca: TestKey; caAlgorithm?: string }> = [{ ca: ED_CA }, { ca: RSA_CA, caAlgorithm: 'rsa-sha2-256' }, { ca: RSA_CA, caAlgorithm: 'rsa-sha2-512' }];
const VALID_BLOBS = VALID.map((v) => makeCert({ key: KEY, ca: v.ca, caAlgorithm: v.caAlgorithm }));

type Mutation =
  | { kind: 'flip'; at: number; xor: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'length'; at: number; value: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'append'; bytes: Uint8Array };

const position = fc.nat({ max: 4_000 });
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: position, xor: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: position, bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: position, length: fc.integer({ min: 1, max: 40 }) }),
  // A length prefix bent to nothing, one off, or past the end.
  fc.record({ kind: fc.constant('length' as const), at: position, value: fc.oneof(fc.constantFrom(0, 1, 0x7fffffff, 0xffffffff), fc.nat()) }),
  fc.record({ kind: fc.constant('truncate' as const), at: position }),
  fc.record({ kind: fc.constant('append' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
);

function mutate(blob: Buffer, m: Mutation): Buffer {
  const at = 'at' in m ? m.at % (blob.length + 1) : blob.length;
  switch (m.kind) {
    case 'flip': {
      if (blob.length === 0) return blob;
      const copy = Buffer.from(blob);
      copy[at % blob.length] ^= m.xor;
      return copy;
    }
    case 'insert': return Buffer.concat([blob.subarray(0, at), m.bytes, blob.subarray(at)]);
    case 'delete': return Buffer.concat([blob.subarray(0, at), blob.subarray(at + m.length)]);
    case 'length': {
      if (blob.length < 4) return blob;
      const copy = Buffer.from(blob);
      copy.writeUInt32BE(m.value >>> 0, Math.min(at, blob.length - 4));
      return copy;
    }
    case 'truncate': return blob.subarray(0, at);
    case 'append': return Buffer.concat([blob, m.bytes]);
  }
}

/** Refused or accepted, never thrown; accepted only with a signature node:crypto verifies. */
function assertSafe(blob: Buffer): boolean {
  const parsed = parseCertificate(blob);
  if (!parsed.ok) assert.equal(typeof parsed.reason, 'string');
  const verdict = checkUserCertificate(blob, CHECKS);
  if (!verdict.ok) return false;
  assert.ok(parsed.ok, 'checkUserCertificate accepted what parseCertificate refused');
  assert.ok(caSignatureVerifies(blob, verdict.cert.signedData, verdict.cert.signature), 'accepted a certificate whose CA signature does not verify');
  return true;
}

test('arbitrary bytes are refused, never thrown on', { timeout: fuzzTimeoutMs() }, () => {
  const typeName = fc.constantFrom('ssh-ed25519-cert-v01@openssh.com', 'ssh-rsa-cert-v01@openssh.com', 'ecdsa-sha2-nistp256-cert-v01@openssh.com', 'ssh-dss-cert-v01@openssh.com');
  const blobs = fc.oneof(
    fc.uint8Array({ maxLength: 2_000 }).map((bytes) => Buffer.from(bytes)),
    // A known type name first, so the parser reads on into the fields.
    fc.tuple(typeName, fc.uint8Array({ maxLength: 2_000 })).map(([type, rest]) => Buffer.concat([str(type), rest])),
  );
  return fuzz(fc.property(blobs, (blob) => {
    assert.equal(assertSafe(blob), false, 'accepted random bytes');
  }));
});

test('a valid certificate bent by a few mutations is never accepted', { timeout: fuzzTimeoutMs() }, () => {
  // The positive control: unbent, each of them is accepted.
  for (const blob of VALID_BLOBS) assert.equal(assertSafe(blob), true);
  return fuzz(fc.property(fc.nat({ max: VALID_BLOBS.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 3 }), (which, mutations) => {
    const original = VALID_BLOBS[which];
    const bent = mutations.reduce(mutate, original);
    if (assertSafe(bent)) assert.ok(bent.equals(original), 'a changed certificate was accepted');
  }));
});

/** Critical options, each with whether sshd accepts it for a client at 127.0.0.1. */
const CRITICAL: Array<[name: string, data: Buffer, accepted: boolean]> = [
  ['verify-required', Buffer.alloc(0), true],
  ['verify-required', Buffer.from([1]), false],
  ['force-command', str('/bin/true'), false],
  ['source-address', str('127.0.0.1/32'), true],
  ['source-address', str('10.0.0.0/8,127.0.0.0/8'), true],
  ['source-address', str('10.0.0.0/8'), false],
  ['source-address', str('not-an-address'), false],
  ['source-address', str(''), false],
  ['no-such-option@example.com', Buffer.alloc(0), false],
];

const text = fc.string({ unit: fc.constantFrom('a', 'l', 'i', 'c', 'e', '@', '-', '\0', 'é'), maxLength: 8 });
const offset = fc.constantFrom(-7200n, -3600n, -1n, 0n, 1n, 3600n);

test('certificates a trusted CA signed are accepted exactly as a model of sshd says', { timeout: fuzzTimeoutMs() }, async () => {
  const seen = { accepted: 0, refused: 0 };
  await fuzz(fc.property(
    fc.record({
      signer: fc.constantFrom<[TestKey, string | undefined]>([ED_CA, undefined], [RSA_CA, 'rsa-sha2-512'], [RSA_CA, 'rsa-sha2-256'], [RSA_CA, 'ssh-rsa'], [UNTRUSTED_CA, undefined]),
      type: fc.constantFrom(1, 2, 3),
      keyId: text,
      principals: fc.array(fc.oneof(fc.constant('alice'), text), { maxLength: 3 }),
      validAfter: fc.oneof(fc.constant(0n), offset.map((o) => NOW_S + o)),
      validBefore: fc.oneof(fc.constant(FOREVER), offset.map((o) => NOW_S + o)),
      critical: fc.array(fc.nat({ max: CRITICAL.length - 1 }), { maxLength: 3 }),
      extensions: fc.array(fc.constantFrom('permit-pty', 'permit-port-forwarding', 'x@example.com'), { maxLength: 3 }),
    }),
    (f) => {
      const [ca, caAlgorithm] = f.signer;
      const critical = f.critical.map((i) => CRITICAL[i]);
      const blob = makeCert({
        key: KEY, ca, caAlgorithm, type: f.type, keyId: f.keyId, principals: f.principals, validAfter: f.validAfter, validBefore: f.validBefore,
        critical: critical.map(([name, data]) => [name, data]), extensions: f.extensions.map((name) => [name, Buffer.alloc(0)]),
      });
      const distinct = (names: string[]): boolean => new Set(names).size === names.length;
      const model = ca !== UNTRUSTED_CA && caAlgorithm !== 'ssh-rsa'
        && !f.keyId.includes('\0') && !f.principals.some((p) => p.includes('\0'))
        && distinct(critical.map(([name]) => name)) && distinct(f.extensions)
        && f.type === 1
        && f.validAfter <= NOW_S && NOW_S < f.validBefore
        && f.principals.includes('alice')
        && critical.every(([, , accepted]) => accepted);
      assert.equal(assertSafe(blob), model);
      seen[model ? 'accepted' : 'refused'] += 1;
    },
  ));
  // Not a vacuous run: the generator reaches both answers.
  assert.ok(seen.accepted > 0 && seen.refused > 0, JSON.stringify(seen));
});
