/**
 * OpenSSH user certificates, end to end: certificates made with the stock
 * `ssh-keygen -s`, offered by the stock ssh client (CertificateFile next to
 * IdentityFile), checked by the gateway as sshd would. A valid one logs alice
 * in and ProxyJump reaches a real sshd target; each kind of bad one is refused
 * with an auth.failure that names why. CA keys are trusted and keys revoked
 * with `jumpgate ca trust` and `jumpgate ca revoke`, while the gateway runs.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cleanupAll } from '../helpers/cleanup.js';
import { settingsWith, startGateway, type AuditEvent, type Gateway } from '../helpers/gateway.js';
import { fingerprintOf, makeKeyPair, type KeyPair } from '../helpers/keys.js';
import { run, runOk, type RunResult } from '../helpers/processes.js';
import { describeRun } from '../helpers/ssh-client.js';
import { osLogin, startSshd, type Sshd } from '../helpers/sshd.js';

describe('OpenSSH user certificates', () => {
  let gateway: Gateway;
  let db1: Sshd;
  let ca: KeyPair;
  let otherCa: KeyPair;
  /** The key alice's ssh uses for the hop behind the gateway (ProxyJump is end to end). */
  let targetKey: KeyPair;
  let counter = 0;

  before(async () => {
    gateway = await startGateway({
      settings: settingsWith([
        [['ssh', 'trustedUserCAKeys'], ['user_ca_keys']],
        [['ssh', 'revokedKeys'], 'revoked_keys'],
        // Every refusal here comes from 127.0.0.1; none of them should ban it.
        [['bans', 'neverBan'], ['127.0.0.0/8']],
      ]),
    });
    const dir = gateway.workDir;
    [ca, otherCa, targetKey] = await Promise.all([
      makeKeyPair(dir, 'user_ca', 'user-ca'),
      makeKeyPair(dir, 'other_ca', 'other-ca'),
      makeKeyPair(dir, 'alice_target', 'alice@laptop'),
    ]);
    // The revoked keys file must exist: an unreadable one refuses every key, as in sshd.
    fs.writeFileSync(path.join(gateway.dataDir, 'revoked_keys'), '# revoked keys and certificates, one per line\n', { mode: 0o600 });
    const trust = await gateway.jumpgate(['ca', 'trust', ca.publicKeyPath]);
    assert.equal(trust.code, 0, describeRun(trust));
    assert.match(trust.stdout, new RegExp(`trusted CA ${escapeRegExp(ca.fingerprint)}`));

    db1 = await startSshd({ authorizedKeys: [targetKey.publicKey] });
    await gateway.apply(`kind: User
name: alice
roles: [ops]
---
kind: User
name: carol
roles: [ops]
principals: [dbas]
---
kind: Target
name: db1
host: 127.0.0.1
port: ${db1.port}
login: ${osLogin}
---
kind: Role
name: ops
allow:
  - targets: [db1]
    access: [jump]
`);
  });

  after(async () => {
    try {
      await gateway?.stop();
      await db1?.stop();
    } finally {
      await cleanupAll();
    }
  });

  interface Certified { key: KeyPair; certificate: string; config: string }

  /**
   * A fresh key (ed25519 unless `keyType` gives ssh-keygen -t/-b), certified by
   * `signer` with ssh-keygen ARGS, and an ssh_config logging in as `user` with it.
   */
  async function certified(user: string, signer: KeyPair, args: string[], keyType?: string[]): Promise<Certified> {
    counter += 1;
    const name = `${user}_${counter}`;
    const key = keyType ? await otherKeyPair(name, keyType) : await makeKeyPair(gateway.workDir, name, `${name}@laptop`);
    await runOk('ssh-keygen', ['-q', '-s', signer.privateKeyPath, ...args, key.publicKeyPath]);
    const certificate = `${key.privateKeyPath}-cert.pub`;
    const common = [
      '  IdentitiesOnly yes', '  IdentityAgent none', '  UserKnownHostsFile /dev/null', '  StrictHostKeyChecking no',
      '  BatchMode yes', '  ConnectTimeout 10', '  LogLevel ERROR',
    ];
    const config = path.join(gateway.workDir, `ssh_config.${name}`);
    fs.writeFileSync(config, [
      'Host gate', '  HostName 127.0.0.1', `  Port ${gateway.port}`, `  User ${user}`,
      `  IdentityFile ${key.privateKeyPath}`, `  CertificateFile ${certificate}`, ...common, '',
      'Host *', `  IdentityFile ${targetKey.privateKeyPath}`, ...common, '',
    ].join('\n'), { mode: 0o600 });
    return { key, certificate, config };
  }

  async function otherKeyPair(name: string, keyType: string[]): Promise<KeyPair> {
    const privateKeyPath = path.join(gateway.workDir, name);
    await runOk('ssh-keygen', ['-q', ...keyType, '-N', '', '-C', `${name}@laptop`, '-f', privateKeyPath]);
    const publicKeyPath = `${privateKeyPath}.pub`;
    return { privateKeyPath, publicKeyPath, publicKey: fs.readFileSync(publicKeyPath, 'utf8').trim(), fingerprint: await fingerprintOf(publicKeyPath) };
  }

  function jump(c: Certified, command = 'echo certificate-ok'): Promise<RunResult> {
    return run('ssh', ['-F', c.config, '-J', 'gate', `${osLogin}@db1`, command], { timeoutMs: 30_000 });
  }

  /** Polls audit.log for an event after index `from`. */
  async function eventAfter(from: number, predicate: (e: AuditEvent) => boolean): Promise<AuditEvent> {
    const deadline = Date.now() + 5_000;
    for (;;) {
      const events = gateway.auditEvents().slice(from);
      const found = events.find(predicate);
      if (found) return found;
      if (Date.now() > deadline) {
        throw new Error(`no matching audit event; after the mark: ${events.map((e) => `${e.type}(${String(e.user)}${typeof e.reason === 'string' ? `: ${e.reason}` : ''})`).join(', ')}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Logs in with the certificate, expects the gateway to refuse it with `reason`. */
  async function assertRefused(c: Certified, reason: string, user = 'alice'): Promise<void> {
    const mark = gateway.auditEvents().length;
    const r = await run('ssh', ['-F', c.config, 'gate', 'true'], { timeoutMs: 30_000 });
    assert.equal(r.code, 255, describeRun(r));
    assert.match(r.stderr, /Permission denied \(publickey\)/, describeRun(r));
    const failure = await eventAfter(mark, (e) => e.type === 'auth.failure' && e.user === user && e.reason === reason);
    assert.equal(failure.method, 'publickey');
    assert.equal(gateway.auditEvents().slice(mark).some((e) => e.type === 'auth.success'), false);
  }

  test('a valid certificate logs alice in; ssh -J reaches db1; auth.success names the key, key id and serial', { timeout: 60_000 }, async () => {
    const c = await certified('alice', ca, ['-I', 'alice-laptop', '-n', 'alice', '-V', '-5m:+1h', '-z', '42']);
    const mark = gateway.auditEvents().length;
    const r = await jump(c);
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, /^certificate-ok$/m);
    const success = await eventAfter(mark, (e) => e.type === 'auth.success' && e.user === 'alice');
    assert.equal(success.method, 'publickey');
    assert.equal(success.key, c.key.fingerprint);
    assert.equal(success.key_id, 'alice-laptop');
    assert.equal(success.serial, '42');
  });

  test('a user is matched by the principals field: carol logs in with a certificate for dbas', { timeout: 60_000 }, async () => {
    const c = await certified('carol', ca, ['-I', 'carol-laptop', '-n', 'ops,dbas']);
    const r = await jump(c);
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, /^certificate-ok$/m);
  });

  test('RSA and ECDSA keys certified by an RSA CA log in (rsa-sha2 and ECDSA signatures, no SHA-1)', { timeout: 60_000 }, async () => {
    const rsaCa = await otherKeyPair('rsa_ca', ['-t', 'rsa', '-b', '3072']);
    const trust = await gateway.jumpgate(['ca', 'trust', rsaCa.publicKeyPath]);
    assert.equal(trust.code, 0, describeRun(trust));
    for (const keyType of [['-t', 'rsa', '-b', '2048'], ['-t', 'ecdsa', '-b', '384']]) {
      const c = await certified('alice', rsaCa, ['-I', `alice-${keyType[1]}`, '-n', 'alice'], keyType);
      const mark = gateway.auditEvents().length;
      const r = await jump(c);
      assert.equal(r.code, 0, `${keyType[1]}: ${describeRun(r)}`);
      const success = await eventAfter(mark, (e) => e.type === 'auth.success' && e.user === 'alice');
      assert.equal(success.key, c.key.fingerprint);
      assert.equal(success.key_id, `alice-${keyType[1]}`);
    }
  });

  test('source-address the client is inside of is accepted', { timeout: 60_000 }, async () => {
    const c = await certified('alice', ca, ['-I', 'alice-loopback', '-n', 'alice', '-O', 'source-address=10.0.0.0/8,127.0.0.0/8']);
    const r = await jump(c);
    assert.equal(r.code, 0, describeRun(r));
  });

  test('an expired certificate is refused', { timeout: 60_000 }, async () => {
    await assertRefused(await certified('alice', ca, ['-I', 'old', '-n', 'alice', '-V', '-2d:-1d']), 'certificate expired');
  });

  test('a certificate not yet valid is refused', { timeout: 60_000 }, async () => {
    await assertRefused(await certified('alice', ca, ['-I', 'early', '-n', 'alice', '-V', '+1d:+2d']), 'certificate not yet valid');
  });

  test('a certificate for another principal is refused', { timeout: 60_000 }, async () => {
    await assertRefused(await certified('alice', ca, ['-I', 'bobs', '-n', 'bob']), 'certificate principal mismatch (alice not in [bob])');
  });

  test('a certificate from an untrusted CA is refused', { timeout: 60_000 }, async () => {
    await assertRefused(await certified('alice', otherCa, ['-I', 'rogue', '-n', 'alice']), 'certificate CA not trusted');
  });

  test('a certificate with an unknown critical option is refused', { timeout: 60_000 }, async () => {
    const c = await certified('alice', ca, ['-I', 'odd', '-n', 'alice', '-O', 'critical:foo@example.com=bar']);
    await assertRefused(c, 'unknown critical option foo@example.com');
  });

  test('a certificate with force-command is refused: there is no shell on the gateway', { timeout: 60_000 }, async () => {
    const c = await certified('alice', ca, ['-I', 'forced', '-n', 'alice', '-O', 'force-command=/usr/bin/true']);
    await assertRefused(c, 'force-command not allowed (no shell on the gateway)');
  });

  test('a certificate with a source-address the client is outside of is refused', { timeout: 60_000 }, async () => {
    const c = await certified('alice', ca, ['-I', 'elsewhere', '-n', 'alice', '-O', 'source-address=10.0.0.0/8']);
    await assertRefused(c, 'source-address: 127.0.0.1 not in 10.0.0.0/8');
  });

  test('jumpgate ca revoke KEY.pub refuses the certificates of that key at the next login', { timeout: 60_000 }, async () => {
    const c = await certified('alice', ca, ['-I', 'lost-laptop', '-n', 'alice']);
    assert.equal((await jump(c)).code, 0, 'accepted before it is revoked');
    const r = await gateway.jumpgate(['ca', 'revoke', c.key.publicKeyPath]);
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, new RegExp(`revoked ${escapeRegExp(c.key.fingerprint)}`));
    await assertRefused(c, 'certificate revoked');
  });

  test('a revoked certificate (its line in revokedKeys) is refused', { timeout: 60_000 }, async () => {
    const c = await certified('alice', ca, ['-I', 'stolen', '-n', 'alice']);
    fs.appendFileSync(path.join(gateway.dataDir, 'revoked_keys'), fs.readFileSync(c.certificate, 'utf8'));
    await assertRefused(c, 'certificate revoked');
  });

  test('without permit-port-forwarding the certificate logs in but may not open direct-tcpip channels', {
    timeout: 60_000,
  }, async () => {
    const c = await certified('alice', ca, ['-I', 'no-forwarding', '-n', 'alice', '-O', 'no-port-forwarding']);
    const mark = gateway.auditEvents().length;
    const r = await jump(c);
    assert.notEqual(r.code, 0, describeRun(r));
    await eventAfter(mark, (e) => e.type === 'auth.success' && e.key_id === 'no-forwarding');
    await eventAfter(mark, (e) => e.type === 'access.denied' && /port forwarding/.test(String(e.reason)));
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
