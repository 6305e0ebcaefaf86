/**
 * Target credentials without standing secrets (SPEC §12): a target that trusts
 * jumpgate's target CA (`jumpgate ca target-key` in TrustedUserCAKeys) and holds no
 * authorized key at all accepts proxied sessions, chain hops and `target test`, each
 * login with a fresh certificate for that login, valid `certificates.targetTTL`.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import ssh2, { type ParsedKey, type PublicKeyAuthMethod } from 'ssh2';
import { settingsWith, startGateway, type AuditEvent, type Gateway } from '../helpers/gateway.js';
import { makeKeyPair } from '../helpers/keys.js';
import { describeRun, makeSshClient, type SshClient } from '../helpers/ssh-client.js';
import { osLogin } from '../helpers/sshd.js';
import { suiteFixture } from '../helpers/suite-fixture.js';
import { describeCertificate, startCertificateTarget, type CertificateTarget } from '../helpers/certificate-target.js';

const TTL_SECONDS = 20;

interface Cast {
  gateway: Gateway;
  caLine: string;
  db1: CertificateTarget;
  hop1: CertificateTarget;
  db2: CertificateTarget;
  alice: SshClient;
  stop(): Promise<void>;
}

async function startCast(): Promise<Cast> {
  const gateway = await startGateway({ settings: settingsWith([[['certificates', 'targetTTL'], `${TTL_SECONDS}s`]]) });
  const shown = await gateway.jumpgate(['ca', 'target-key']);
  assert.equal(shown.code, 0, describeRun(shown));
  const caLine = shown.stdout.trim();
  const caFile = gateway.writeFile('target_ca.pub', `${caLine}\n`);
  const [db1, hop1, db2] = [await startCertificateTarget(caFile), await startCertificateTarget(caFile), await startCertificateTarget(caFile)];
  const alice = await makeKeyPair(gateway.workDir, 'alice', 'alice@laptop');
  await gateway.apply(`kind: Credential
name: per-login
type: certificate
---
kind: User
name: alice
roles: [dba]
keys:
  - ${alice.publicKey}
---
kind: Target
name: db1
host: 127.0.0.1
port: ${db1.port}
login: ${osLogin}
credential: per-login
---
kind: Target
name: hop1
host: 127.0.0.1
port: ${hop1.port}
login: ${osLogin}
credential: per-login
---
kind: Target
name: db2
host: 127.0.0.1
port: ${db2.port}
via: hop1
login: ${osLogin}
credential: per-login
---
kind: Role
name: dba
allow:
  - targets: [db1, db2]
    access: [session]
    logins: [${osLogin}]
`);
  return {
    gateway, caLine, db1, hop1, db2,
    alice: makeSshClient({ dir: gateway.workDir, gateUser: 'alice', gatePort: gateway.port, gateKey: alice.privateKeyPath, gateLogLevel: 'ERROR' }),
    async stop() {
      try {
        await gateway.stop();
      } finally {
        await Promise.all([db1.stop(), hop1.stop(), db2.stop()]);
      }
    },
  };
}

/** A predicate true for events written after this call. */
function newSince(g: { auditEvents(): AuditEvent[] }): (e: AuditEvent) => boolean {
  const seen = new Set(g.auditEvents().map((e) => e.id));
  return (e) => !seen.has(e.id);
}

/**
 * Offers a captured certificate to sshd as a replaying client would, without its private
 * key: sshd judges a certificate (CA, validity, principals) before it asks for a signature,
 * so `askedToSign` says whether the certificate itself was still accepted.
 */
function replay(target: CertificateTarget, certificateLine: string): Promise<{ askedToSign: boolean; error: string }> {
  const [type, base64] = certificateLine.split(' ');
  const stand = ssh2.utils.parseKey(ssh2.utils.generateKeyPairSync('ed25519').private) as ParsedKey;
  let askedToSign = false;
  const key = Object.create(stand, {
    type: { value: type },
    getPublicSSH: { value: () => Buffer.from(base64, 'base64') },
    sign: { value: () => { askedToSign = true; return new Error('the replaying client holds no private key'); } },
  }) as ParsedKey;
  const method: PublicKeyAuthMethod = { type: 'publickey', username: osLogin, key };
  return new Promise((resolve) => {
    const client = new ssh2.Client();
    let error = '';
    client.on('error', (e: Error) => { error ||= e.message; client.end(); });
    client.on('ready', () => { error = 'logged in'; client.end(); });
    client.on('close', () => resolve({ askedToSign, error }));
    client.connect({
      host: target.host, port: target.port, username: osLogin, readyTimeout: 10_000,
      authHandler: [method],
      hostVerifier: () => true,
    });
  });
}

describe('type: certificate credentials: per-login certificates from the target CA', () => {
  const c = suiteFixture(startCast);
  let firstCertificate = '';

  test('ca target-key prints one ssh-ed25519 line, the same every time', { timeout: 30_000 }, async () => {
    assert.match(c.caLine, /^ssh-ed25519 AAAA[A-Za-z0-9+/=]+ jumpgate target CA$/);
    const again = await c.gateway.jumpgate(['ca', 'target-key', '-o', 'json']);
    assert.equal(again.code, 0, describeRun(again));
    assert.deepEqual(JSON.parse(again.stdout), { publicKey: c.caLine });
  });

  test('a proxied session logs into a target with no authorized key, with a certificate for that login valid targetTTL', { timeout: 60_000 }, async () => {
    const fresh = newSince(c.gateway);
    const r = await c.alice.run(['-p', String(c.gateway.port), 'alice+db1@127.0.0.1', 'echo "$(id -un) on db1"']);
    assert.equal(r.code, 0, describeRun(r));
    assert.equal(r.stdout.trim(), `${osLogin} on db1`);

    const seen = c.db1.certificates();
    assert.equal(seen.length, 1, `db1 was offered one certificate: ${seen.join('\n')}`);
    firstCertificate = seen[0];
    const cert = await describeCertificate(seen[0]);
    assert.deepEqual(cert.principals, [osLogin], 'the only principal is the login');
    assert.equal((Date.parse(`${cert.validTo}Z`) - Date.parse(`${cert.validFrom}Z`)) / 1000, TTL_SECONDS, `valid ${cert.validFrom} to ${cert.validTo}`);
    assert.match(cert.keyId, /^jumpgate alice \S+@db1 connection [0-9a-f]{8}$/);
    assert.ok(cert.extensions.includes('permit-pty'));
    assert.ok(!cert.extensions.includes('permit-agent-forwarding'), 'no agent forwarding where the rule allows none');

    const issued = await c.gateway.waitForAuditEvent((e) => fresh(e) && e.type === 'certificate.issue');
    assert.equal(issued.user, 'alice');
    assert.equal(issued.target, 'db1');
    assert.equal(issued.login, osLogin);
    assert.equal(issued.key_id, cert.keyId);
    assert.equal(issued.serial, cert.serial);
    assert.ok(cert.signingCa.includes(String(issued.ca)), `${cert.signingCa} vs ${String(issued.ca)}`);
  });

  test('each login gets its own certificate', { timeout: 60_000 }, async () => {
    const r = await c.alice.run(['-p', String(c.gateway.port), 'alice+db1@127.0.0.1', 'true']);
    assert.equal(r.code, 0, describeRun(r));
    const seen = c.db1.certificates();
    assert.equal(seen.length, 2, seen.join('\n'));
    const [one, two] = await Promise.all(seen.map(describeCertificate));
    assert.notEqual(one.serial, two.serial);
  });

  test('a session through a hop: the hop and the target each see a certificate for their login, the hop\'s naming no user', { timeout: 60_000 }, async () => {
    const r = await c.alice.run(['-p', String(c.gateway.port), 'alice+db2@127.0.0.1', 'echo "on db2:$SSH_CONNECTION"']);
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, new RegExp(`on db2:\\S+ \\d+ 127\\.0\\.0\\.1 ${c.db2.port}`));
    const [hopCert] = await Promise.all(c.hop1.certificates().map(describeCertificate));
    assert.deepEqual(hopCert.principals, [osLogin]);
    assert.match(hopCert.keyId, /^jumpgate gateway \S+@hop1 hop hop1$/);
    assert.ok(hopCert.extensions.includes('permit-port-forwarding'), 'a hop carries channels: port forwarding permitted');
    const [targetCert] = await Promise.all(c.db2.certificates().map(describeCertificate));
    assert.match(targetCert.keyId, /^jumpgate alice \S+@db2 /);
  });

  test('target test logs in through the chain with certificates', { timeout: 60_000 }, async () => {
    const r = await c.gateway.jumpgate(['target', 'test', 'db2']);
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, /^ok\s+hop1\s/m, describeRun(r));
    assert.match(r.stdout, /^ok\s+db2\s/m, describeRun(r));
    assert.doesNotMatch(r.stdout, /host key only/, 'both steps logged in');
  });

  test('a certificate replayed after targetTTL is refused by the target; within it, it was accepted', { timeout: 90_000 }, async () => {
    assert.ok(firstCertificate, 'the first session ran');
    const cert = await describeCertificate(firstCertificate);
    const expires = Date.parse(`${cert.validTo}Z`);
    // Positive control while the window may still be open: a fresh certificate from a new login.
    const r = await c.alice.run(['-p', String(c.gateway.port), 'alice+db1@127.0.0.1', 'true']);
    assert.equal(r.code, 0, describeRun(r));
    const current = c.db1.certificates().at(-1)!;
    const inWindow = await replay(c.db1, current);
    assert.equal(inWindow.askedToSign, true, `sshd accepted the certificate in its window: ${inWindow.error}`);

    await new Promise((resolve) => setTimeout(resolve, Math.max(0, expires - Date.now()) + 1_500));
    const late = await replay(c.db1, firstCertificate);
    assert.equal(late.askedToSign, false, 'sshd refused the expired certificate before any signature');
    assert.match(late.error, /authentication methods failed/i);
    assert.match(c.db1.stderrText(), /expired/i, 'sshd says why');
  });
});
