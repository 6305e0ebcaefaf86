import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  checkCertificateAlgorithm, checkUserCertificate, isCertificateAlgorithm, keyFingerprint, parseCertificate,
  verifySshSignature, FOREVER, type CertificateChecks,
} from './openssh-certificate.js';
import { KeyList, loadCertificateTrust, parseKeyList, readKeyListFile } from './revoked-keys.js';
import {
  ecdsaKey, ed25519Key, makeCert, NOW, NOW_S, rsaKey, str, type CertFields, type TestKey,
} from '../../test/helpers/certificates.js';


const KEY = ed25519Key();
const CA = ed25519Key();
const OTHER_CA = ed25519Key();

function checks(overrides: Partial<CertificateChecks> = {}): CertificateChecks {
  const trustedCAs = new KeyList();
  trustedCAs.add(CA.blob);
  return { trustedCAs, revoked: new KeyList(), principals: ['alice'], clientIp: '127.0.0.1', now: NOW, ...overrides };
}

function verdictOf(fields: Partial<CertFields>, overrides: Partial<CertificateChecks> = {}): string {
  const verdict = checkUserCertificate(makeCert({ key: KEY, ca: CA, ...fields }), checks(overrides));
  return verdict.ok ? 'ok' : verdict.reason;
}

const optionString = (text: string): Buffer => str(text);

// ---------------------------------------------------------------------------

describe('parseCertificate', () => {
  test('reads every field of an ed25519 user certificate', () => {
    const cert = parseCertificate(makeCert({
      key: KEY, ca: CA, serial: 0xfedcba9876543210n, keyId: 'alice@laptop', principals: ['alice', 'ops'],
      validAfter: 0n, validBefore: FOREVER, critical: [['source-address', optionString('10.0.0.0/8')]],
    }));
    assert.ok(cert.ok);
    assert.equal(cert.cert.type, 'ssh-ed25519-cert-v01@openssh.com');
    assert.deepEqual(cert.cert.publicKey, KEY.blob);
    assert.equal(cert.cert.serial, 0xfedcba9876543210n);
    assert.equal(cert.cert.certType, 1);
    assert.equal(cert.cert.keyId, 'alice@laptop');
    assert.deepEqual(cert.cert.principals, ['alice', 'ops']);
    assert.equal(cert.cert.validAfter, 0n);
    assert.equal(cert.cert.validBefore, FOREVER);
    assert.deepEqual(cert.cert.criticalOptions.map((o) => o.name), ['source-address']);
    assert.equal(cert.cert.extensions.length, 5);
    assert.deepEqual(cert.cert.signatureKey, CA.blob);
  });

  test('recovers the certified key of ECDSA and RSA certificates', () => {
    for (const key of [ecdsaKey('nistp256'), ecdsaKey('nistp521'), rsaKey()]) {
      const cert = parseCertificate(makeCert({ key, ca: CA }));
      assert.ok(cert.ok, key.certType);
      assert.deepEqual(cert.cert.publicKey, key.blob);
    }
  });

  const malformed: Array<[string, Buffer]> = [
    ['trailing data', makeCert({ key: KEY, ca: CA, trailing: Buffer.from([0]) })],
    ['truncated', makeCert({ key: KEY, ca: CA }).subarray(0, 100)],
    ['empty', Buffer.alloc(0)],
    ['a plain key', KEY.blob],
    ['an unknown type 7', makeCert({ key: KEY, ca: CA, type: 7 })],
    ['a critical option twice', makeCert({ key: KEY, ca: CA, critical: [['verify-required', Buffer.alloc(0)], ['verify-required', Buffer.alloc(0)]] })],
  ];
  for (const [name, blob] of malformed) {
    test(`refuses ${name}`, () => {
      const parsed = parseCertificate(blob);
      assert.equal(parsed.ok, false);
    });
  }

  test('refuses a certificate whose CA key is itself a certificate', () => {
    const caCert = makeCert({ key: CA, ca: OTHER_CA });
    const ca: TestKey = { ...CA, blob: caCert };
    assert.match(parseCertificate(makeCert({ key: KEY, ca })).ok ? 'ok' : 'refused', /refused/);
  });
});

describe('checkUserCertificate', () => {
  const cases: Array<{ name: string; fields?: Partial<CertFields>; checks?: Partial<CertificateChecks>; expect: string | RegExp }> = [
    { name: 'a valid certificate', expect: 'ok' },
    { name: 'valid forever', fields: { validAfter: 0n, validBefore: FOREVER }, expect: 'ok' },
    { name: 'valid from this very second', fields: { validAfter: NOW_S }, expect: 'ok' },
    { name: 'valid_before is exclusive', fields: { validBefore: NOW_S }, expect: 'certificate expired' },
    { name: 'expired', fields: { validAfter: NOW_S - 2n * 86400n, validBefore: NOW_S - 86400n }, expect: 'certificate expired' },
    { name: 'not yet valid', fields: { validAfter: NOW_S + 1n }, expect: 'certificate not yet valid' },
    { name: 'another principal', fields: { principals: ['bob'] }, expect: 'certificate principal mismatch (alice not in [bob])' },
    { name: 'one of several principals', fields: { principals: ['bob', 'alice'] }, expect: 'ok' },
    { name: 'one of the user\'s principals', fields: { principals: ['dba'] }, checks: { principals: ['alice', 'dba'] }, expect: 'ok' },
    { name: 'principals match exactly (no wildcards)', fields: { principals: ['*'] }, expect: 'certificate principal mismatch (alice not in [*])' },
    { name: 'no principals', fields: { principals: [] }, expect: 'certificate has no principals' },
    { name: 'a host certificate', fields: { type: 2 }, expect: /not a user certificate/ },
    { name: 'an untrusted CA', fields: { ca: OTHER_CA }, expect: 'certificate CA not trusted' },
    { name: 'a tampered certificate', fields: { tamper: (b) => Buffer.from(b.toString('latin1').replace('alice@laptop', 'alice@laptoq'), 'latin1') }, expect: 'CA signature invalid' },
    { name: 'a signature by the wrong algorithm name', fields: { caAlgorithm: 'ecdsa-sha2-nistp256' }, expect: 'CA signature invalid' },
    { name: 'the certified key revoked', checks: { revoked: keyList(KEY.blob) }, expect: 'certificate revoked' },
    { name: 'the CA key revoked', checks: { revoked: keyList(CA.blob) }, expect: /^certificate revoked \(its CA SHA256:/ },
    { name: 'an unknown critical option', fields: { critical: [['foo@example.com', optionString('bar')]] }, expect: 'unknown critical option foo@example.com' },
    { name: 'force-command', fields: { critical: [['force-command', optionString('/bin/true')]] }, expect: 'force-command not allowed (no shell on the gateway)' },
    { name: 'verify-required', fields: { critical: [['verify-required', Buffer.alloc(0)]] }, expect: 'ok' },
    { name: 'source-address outside', fields: { critical: [['source-address', optionString('10.0.0.0/8')]] }, expect: 'source-address: 127.0.0.1 not in 10.0.0.0/8' },
    { name: 'source-address inside a list', fields: { critical: [['source-address', optionString('10.0.0.0/8,127.0.0.1')]] }, expect: 'ok' },
    { name: 'source-address for IPv6', fields: { critical: [['source-address', optionString('2001:db8::/32')]] }, checks: { clientIp: '2001:db8::5' }, expect: 'ok' },
    { name: 'source-address with a space', fields: { critical: [['source-address', optionString('10.0.0.0/8, 127.0.0.1')]] }, expect: /^source-address invalid/ },
    { name: 'source-address not a CIDR', fields: { critical: [['source-address', optionString('example.com')]] }, expect: /^source-address invalid/ },
    { name: 'an unknown extension', fields: { extensions: [['foo@example.com', Buffer.alloc(0)]] }, expect: 'ok' },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const verdict = verdictOf(c.fields ?? {}, c.checks ?? {});
      if (typeof c.expect === 'string') assert.equal(verdict, c.expect);
      else assert.match(verdict, c.expect);
    });
  }

  test('never throws on a damaged certificate: every truncation and byte flip is refused', () => {
    const blob = makeCert({ key: KEY, ca: CA, critical: [['source-address', optionString('127.0.0.1')]] });
    for (let length = 0; length < blob.length; length += 1) {
      assert.equal(checkUserCertificate(blob.subarray(0, length), checks()).ok, false, `truncated to ${length}`);
    }
    for (let at = 0; at < blob.length; at += 1) {
      const damaged = Buffer.from(blob);
      damaged[at] ^= 0x41;
      assert.equal(checkUserCertificate(damaged, checks()).ok, false, `byte ${at} flipped`);
    }
  });

  test('says whether port forwarding is permitted', () => {
    const withIt = checkUserCertificate(makeCert({ key: KEY, ca: CA }), checks());
    const without = checkUserCertificate(makeCert({ key: KEY, ca: CA, extensions: [['permit-pty', Buffer.alloc(0)]] }), checks());
    assert.ok(withIt.ok && without.ok);
    assert.equal(withIt.permits.portForwarding, true);
    assert.equal(without.permits.portForwarding, false);
    assert.equal(withIt.fingerprint, keyFingerprint(KEY.blob));
  });

  test('RSA and ECDSA CAs sign with SHA-2; an ssh-rsa (SHA-1) CA signature is refused', () => {
    const rsaCa = rsaKey();
    const p521Ca = ecdsaKey('nistp521');
    const trusted = new KeyList();
    for (const ca of [rsaCa, p521Ca, ecdsaKey('nistp256')]) trusted.add(ca.blob);
    const check = (ca: TestKey, caAlgorithm?: string) => {
      const v = checkUserCertificate(makeCert({ key: KEY, ca, ...(caAlgorithm ? { caAlgorithm } : {}) }), checks({ trustedCAs: trusted }));
      return v.ok ? 'ok' : v.reason;
    };
    assert.equal(check(rsaCa, 'rsa-sha2-256'), 'ok');
    assert.equal(check(rsaCa, 'rsa-sha2-512'), 'ok');
    assert.equal(check(rsaCa, 'ssh-rsa'), 'CA signature algorithm ssh-rsa refused (SHA-1)');
    assert.equal(check(p521Ca), 'ok');
    assert.equal(check(p521Ca, 'ecdsa-sha2-nistp256'), 'CA signature invalid');
  });
});

describe('verifySshSignature and checkCertificateAlgorithm', () => {
  const data = Buffer.from('session blob');
  test('verifies the framed signature of each key type', () => {
    for (const key of [KEY, ecdsaKey('nistp256'), ecdsaKey('nistp521'), rsaKey()]) {
      assert.deepEqual(verifySshSignature(key.blob, data, key.sign(data)).ok, true, key.certType);
      assert.equal(verifySshSignature(key.blob, Buffer.from('other'), key.sign(data)).ok, false, key.certType);
    }
  });

  test('holds the client to the algorithm its certificate algorithm implies', () => {
    const key = rsaKey();
    assert.equal(verifySshSignature(key.blob, data, key.sign(data, 'rsa-sha2-512'), 'rsa-sha2-512').ok, true);
    assert.equal(verifySshSignature(key.blob, data, key.sign(data, 'rsa-sha2-512'), 'rsa-sha2-256').ok, false);
    assert.equal(verifySshSignature(key.blob, data, key.sign(data, 'ssh-rsa')).ok, false);
  });

  test('maps certificate algorithms to the blob type and signature algorithm', () => {
    const rsaCert = makeCert({ key: rsaKey(), ca: CA });
    const edCert = makeCert({ key: KEY, ca: CA });
    assert.deepEqual(checkCertificateAlgorithm('rsa-sha2-256-cert-v01@openssh.com', rsaCert), { ok: true, signatureAlgorithm: 'rsa-sha2-256' });
    assert.deepEqual(checkCertificateAlgorithm('ssh-ed25519-cert-v01@openssh.com', edCert), { ok: true, signatureAlgorithm: 'ssh-ed25519' });
    assert.match(String((checkCertificateAlgorithm('ssh-rsa-cert-v01@openssh.com', rsaCert) as { reason: string }).reason), /SHA-1/);
    assert.equal(checkCertificateAlgorithm('ssh-ed25519-cert-v01@openssh.com', rsaCert).ok, false);
    assert.equal(checkCertificateAlgorithm('sk-ssh-ed25519-cert-v01@openssh.com', edCert).ok, false);
    assert.equal(isCertificateAlgorithm('ssh-ed25519-cert-v01@openssh.com'), true);
    assert.equal(isCertificateAlgorithm('ssh-ed25519'), false);
  });
});

// ---------------------------------------------------------------------------
// Interoperability with ssh-keygen, and the key list files.

function keyList(...blobs: Buffer[]): KeyList {
  const list = new KeyList();
  for (const blob of blobs) list.add(blob);
  return list;
}

const lineBlob = (line: string): Buffer => Buffer.from(line.trim().split(/\s+/)[1], 'base64');

describe('certificates made by ssh-keygen', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'jumpgate-cert-'));
  const keygen = (...args: string[]) => execFileSync('ssh-keygen', ['-q', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const newKey = (name: string, ...type: string[]) => { keygen('-N', '', '-C', name, '-f', path.join(dir, name), ...type); return path.join(dir, name); };
  const certify = (ca: string, key: string, ...args: string[]) => {
    keygen('-s', ca, '-I', `id-${path.basename(key)}`, '-n', 'alice', ...args, `${key}.pub`);
    return lineBlob(readFileSync(`${key}-cert.pub`, 'utf8'));
  };
  const trustedFrom = (...cas: string[]) => keyList(...cas.map((ca) => lineBlob(readFileSync(`${ca}.pub`, 'utf8'))));

  test('ed25519, ECDSA and RSA certificates from ed25519, RSA and ECDSA CAs are accepted', (t) => {
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const cas = [newKey('ca-ed', '-t', 'ed25519'), newKey('ca-rsa', '-t', 'rsa', '-b', '2048'), newKey('ca-ec', '-t', 'ecdsa', '-b', '384')];
    const keys = [newKey('u-ed', '-t', 'ed25519'), newKey('u-ec', '-t', 'ecdsa', '-b', '521'), newKey('u-rsa', '-t', 'rsa', '-b', '2048')];
    const trusted = trustedFrom(...cas);
    for (const ca of cas) {
      for (const key of keys) {
        const blob = certify(ca, key, '-z', '7');
        const verdict = checkUserCertificate(blob, { ...checks(), trustedCAs: trusted, now: new Date() });
        assert.ok(verdict.ok, `${path.basename(ca)} / ${path.basename(key)}: ${verdict.ok ? '' : verdict.reason}`);
        assert.equal(verdict.cert.serial, 7n);
        assert.equal(verdict.cert.keyId, `id-${path.basename(key)}`);
        assert.deepEqual(verdict.cert.publicKey, lineBlob(readFileSync(`${key}.pub`, 'utf8')));
      }
    }
    const restricted = certify(cas[0], keys[0], '-O', 'clear', '-O', 'source-address=10.0.0.0/8', '-O', 'critical:foo@example.com=bar');
    const refused = checkUserCertificate(restricted, { ...checks(), trustedCAs: trusted, now: new Date() });
    assert.equal(refused.ok ? 'ok' : refused.reason, 'unknown critical option foo@example.com');
    const noForwarding = certify(cas[0], keys[0], '-O', 'no-port-forwarding');
    const v = checkUserCertificate(noForwarding, { ...checks(), trustedCAs: trusted, now: new Date() });
    assert.ok(v.ok);
    assert.equal(v.permits.portForwarding, false);
  });
});

describe('key list files', () => {
  test('plain keys, certificates (their certified key), comments; bad lines reported', () => {
    const certLine = `ssh-ed25519-cert-v01@openssh.com ${makeCert({ key: KEY, ca: CA }).toString('base64')} alice-cert`;
    const text = [
      '# revoked',
      `ssh-ed25519 ${OTHER_CA.blob.toString('base64')} someone`,
      '',
      certLine,
      'ssh-ed25519 notbase64!!',
      `ssh-rsa ${KEY.blob.toString('base64')}`,
    ].join('\n');
    const revoked = parseKeyList(text, 'revoked_keys', 'certified-key');
    assert.equal(revoked.keys.has(OTHER_CA.blob), true);
    assert.equal(revoked.keys.has(KEY.blob), true);
    assert.deepEqual(revoked.problems.map((p) => p.split(':').slice(0, 2).join(':')), ['revoked_keys:5', 'revoked_keys:6']);
    const cas = parseKeyList(certLine, 'user_ca_keys', 'refuse');
    assert.equal(cas.keys.size, 0);
    assert.match(cas.problems[0], /a certificate, not a CA public key/);
  });

  test('files are read again when they change; an unreadable revoked list refuses every key', (t) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'jumpgate-keys-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const caFile = path.join(dir, 'user_ca_keys');
    writeFileSync(caFile, `ssh-ed25519 ${CA.blob.toString('base64')} ca\n`);
    const settings = { trustedUserCAKeys: ['user_ca_keys', 'missing_ca_keys'], revokedKeys: 'revoked_keys' };

    const first = loadCertificateTrust(dir, settings);
    assert.equal(first.trustedCAs.has(CA.blob), true);
    assert.equal(first.revoked, null);
    assert.match(first.revokedError ?? '', /revoked keys file unreadable \(cannot read .*revoked_keys: no such file\)/);
    assert.equal(first.newProblems.length, 2);
    assert.equal(loadCertificateTrust(dir, settings).newProblems.length, 0, 'problems are reported once');

    writeFileSync(path.join(dir, 'revoked_keys'), `ssh-ed25519 ${KEY.blob.toString('base64')}\n`);
    const second = loadCertificateTrust(dir, settings);
    assert.equal(second.revoked?.has(KEY.blob), true);

    writeFileSync(caFile, `ssh-ed25519 ${OTHER_CA.blob.toString('base64')} ca2\n`);
    utimesSync(caFile, new Date(), new Date(Date.now() + 5000));
    const third = loadCertificateTrust(dir, settings);
    assert.equal(third.trustedCAs.has(CA.blob), false);
    assert.equal(third.trustedCAs.has(OTHER_CA.blob), true);

    const krl = path.join(dir, 'krl');
    writeFileSync(krl, Buffer.concat([Buffer.from('SSHKRL\n\0', 'latin1'), randomBytes(16)]));
    const read = readKeyListFile(krl, 'certified-key');
    assert.equal(read.ok, false);
    assert.match(read.ok ? '' : read.error, /binary KRL/);
  });

  test('no revoked keys file configured: nothing is revoked', () => {
    const trust = loadCertificateTrust(tmpdir(), { trustedUserCAKeys: [], revokedKeys: null });
    assert.equal(trust.revoked?.size, 0);
    assert.equal(trust.trustedCAs.size, 0);
  });
});
