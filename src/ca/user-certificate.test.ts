import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ssh2 from 'ssh2';
import { fingerprint, parseSshKey } from '../domain/ssh-public-key.js';
import { checkUserCertificate } from '../auth/openssh-certificate.js';
import { signUserCertificate, ED25519_CERT } from './user-certificate.js';

const parse = (text: string) => {
  const key = parseSshKey(text);
  if (key instanceof Error) throw key;
  return key;
};

function fixture() {
  const ca = parse(ssh2.utils.generateKeyPairSync('ed25519', { comment: 'ca' }).private);
  const subject = parse(ssh2.utils.generateKeyPairSync('ed25519').private);
  const fields = {
    publicKey: subject.getPublicSSH(), serial: 1234567890123n, keyId: 'jumpgate alice root@db1 connection 0a1b2c3d',
    principals: ['root'], validAfter: 1_800_000_000n, validBefore: 1_800_000_120n,
    extensions: ['permit-pty', 'permit-agent-forwarding'], nonce: Buffer.alloc(32, 7),
  };
  return { ca, subject, fields, certificate: signUserCertificate(ca, fields) };
}

test('a signed certificate reads back in ssh-keygen -L as it was made', { timeout: 30_000 }, () => {
  const { certificate, ca } = fixture();
  const dir = mkdtempSync(path.join(tmpdir(), 'cert-'));
  try {
    const file = path.join(dir, 'key-cert.pub');
    writeFileSync(file, `${ED25519_CERT} ${certificate.toString('base64')}\n`);
    const shown = execFileSync('ssh-keygen', ['-L', '-f', file], { env: { ...process.env, TZ: 'UTC' }, encoding: 'utf8' });
    assert.match(shown, /Type: ssh-ed25519-cert-v01@openssh.com user certificate/);
    assert.match(shown, /Key ID: "jumpgate alice root@db1 connection 0a1b2c3d"/);
    assert.match(shown, /Serial: 1234567890123/);
    // 1_800_000_000 is 2027-01-15T08:00:00Z: the window is exactly the two minutes asked for.
    assert.match(shown, /Valid: from 2027-01-15T08:00:00 to 2027-01-15T08:02:00/);
    assert.match(shown, /Principals: \n\s+root\n/);
    assert.match(shown, /Critical Options: \(none\)/);
    assert.match(shown, /Extensions: \n\s+permit-agent-forwarding\n\s+permit-pty\n/, 'extensions sorted by name');
    assert.ok(shown.includes(`Signing CA: ED25519 ${fingerprint(ca.getPublicSSH())}`), shown);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the CA's signature verifies with the gateway's own certificate checks, and a changed field breaks it", () => {
  const { certificate, ca } = fixture();
  const trusted = { has: (blob: Buffer) => blob.equals(ca.getPublicSSH()) };
  const none = { has: () => false };
  const checks = { trustedCAs: trusted, revoked: none, principals: ['root'], clientIp: '127.0.0.1', now: new Date(1_800_000_060_000) };
  const verdict = checkUserCertificate(certificate, checks);
  assert.equal(verdict.ok, true, verdict.ok ? '' : verdict.reason);
  const bent = Buffer.from(certificate);
  bent[bent.indexOf('root')] ^= 0x20; // "Root": a principal the CA never signed
  const refused = checkUserCertificate(bent, { ...checks, principals: ['Root'] });
  assert.equal(refused.ok, false);
  assert.equal(!refused.ok && refused.reason, 'CA signature invalid');
  assert.equal(checkUserCertificate(certificate, { ...checks, now: new Date(1_800_000_120_000) }).ok, false, 'expired at valid_before');
});

test('only Ed25519 keys are certified, by an Ed25519 CA', () => {
  const { ca, fields } = fixture();
  const rsa = parse(ssh2.utils.generateKeyPairSync('rsa', { bits: 2048 }).private);
  assert.throws(() => signUserCertificate(ca, { ...fields, publicKey: rsa.getPublicSSH() }), /not an ssh-ed25519 public key/);
  assert.throws(() => signUserCertificate(rsa, fields), /the CA must be an ssh-ed25519 private key/);
});
