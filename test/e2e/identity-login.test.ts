/**
 * SSH after sign-in without a listed key (SPEC §12), end to end with the stock OpenSSH
 * client: `jumpgate login` obtains a certificate of jumpgate's user CA through the
 * device-style flow (approved through the API by the person, signed in to the console),
 * and `ssh -J` with it reaches a real sshd target; a certificate past its TTL and a
 * revoked serial are refused. The browser-approved SSH login over keyboard-interactive,
 * under a pty: approved, it logs in; unapproved, approved by another person, or expired,
 * it does not.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { settingsWith, startGateway, type Gateway } from '../helpers/gateway.js';
import { ApiClient } from '../helpers/http-api.js';
import { makeKeyPair, type KeyPair } from '../helpers/keys.js';
import { repoRoot, jumpgateBin } from '../helpers/paths.js';
import { freePort } from '../helpers/ports.js';
import { run, spawnTracked, type RunResult, type TrackedProcess } from '../helpers/processes.js';
import { describeRun } from '../helpers/ssh-client.js';
import { startSshd, type Sshd } from '../helpers/sshd.js';
import { suiteFixture } from '../helpers/suite-fixture.js';
import { makeTempDir } from '../helpers/tmp.js';
import { sshWithCertificate, startJumpgateLogin, waitForOutput } from '../helpers/jumpgate-login.js';

const PTY_RUN = path.join(repoRoot, 'test', 'e2e', 'clients', 'pty-run.py');
const GRACE_SECONDS = 15;
const SHORT_TTL_SECONDS = 6;
const PASSWORD = 'correct horse battery staple';

interface Cast {
  gateway: Gateway;
  db1: Sshd;
  targetKey: KeyPair;
  httpBase: string;
  stop(): Promise<void>;
}

async function startCast(): Promise<Cast> {
  const httpPort = await freePort();
  const gateway = await startGateway({
    settings: settingsWith([
      [['http', 'listen'], `127.0.0.1:${httpPort}`],
      [['ssh', 'authMethods'], ['publickey', 'keyboard-interactive']],
      [['ssh', 'loginGraceTime'], `${GRACE_SECONDS}s`],
      [['bans', 'maxAuthFailures'], 100],
    ]),
  });
  const targetKey = await makeKeyPair(gateway.workDir, 'target_key');
  const db1 = await startSshd({ authorizedKeys: [targetKey.publicKey] });
  await gateway.apply(`kind: Role
name: dba
allow:
  - targets: [db1]
    access: [jump]
    ports: [${db1.port}]
---
kind: Role
name: brief
certificateTTL: ${SHORT_TTL_SECONDS}s
allow:
  - targets: [db1]
    access: [jump]
    ports: [${db1.port}]
---
kind: Target
name: db1
host: 127.0.0.1
port: ${db1.port}
---
kind: User
name: alice
roles: [dba]
---
kind: User
name: bob
roles: [dba]
---
kind: User
name: carol
roles: [brief]
`);
  await gateway.setPasswords(Object.fromEntries(['alice', 'bob', 'carol'].map((user) => [user, `${PASSWORD}\n`])));
  return {
    gateway, db1, targetKey, httpBase: `http://127.0.0.1:${httpPort}`,
    async stop() {
      await db1.stop();
      await gateway.stop();
    },
  };
}

async function signedIn(cast: Cast, user: string): Promise<ApiClient> {
  const client = new ApiClient({ base: cast.httpBase });
  const response = await client.signIn(user, PASSWORD);
  assert.equal(response.status, 200, response.text);
  return client;
}

/** A certificate for `user` through the whole device-style flow, approved by `user` through the API. */
async function loginAs(cast: Cast, user: string, withUserFlag: boolean): Promise<{ home: string; result: RunResult }> {
  const home = makeTempDir(`home-${user}`);
  const login = startJumpgateLogin(cast.httpBase, home, withUserFlag ? ['--user', user] : []);
  const [, code] = await waitForOutput(login, /approve code ([A-Z2-9]{4}-[A-Z2-9]{4})/);
  assert.match(login.stdout(), new RegExp(`${cast.httpBase}/approve/${code}`));
  const approved = await (await signedIn(cast, user)).request('POST', `/api/v1/approvals/${code}`);
  assert.equal(approved.status, 200, approved.text);
  const result = await login.exited;
  assert.equal(result.code, 0, describeRun(result));
  return { home, result };
}

function sshThrough(cast: Cast, home: string, user: string): Promise<RunResult> {
  return sshWithCertificate({ home, user, gatePort: cast.gateway.port, target: { login: cast.db1.login, keyPath: cast.targetKey.privateKeyPath } });
}

function serialOf(result: RunResult): string {
  const serial = /serial (\d+)/.exec(result.stdout)?.[1];
  assert.ok(serial, result.stdout);
  return serial;
}

describe('jumpgate login: a certificate from the user CA through the browser approval', () => {
  const cast = suiteFixture(startCast);

  test('the approved login writes a key and a certificate (0600) that ssh -J uses to reach a target; a revoked serial is refused', { timeout: 120_000 }, async () => {
    const { home, result } = await loginAs(cast, 'alice', true);
    const key = path.join(home, '.ssh', 'jumpgate');
    const cert = path.join(home, '.ssh', 'jumpgate-cert.pub');
    for (const file of [key, cert]) assert.equal(fs.statSync(file).mode & 0o777, 0o600, file);
    assert.match(result.stdout, new RegExp(`ssh -J alice@127\\.0\\.0\\.1:${cast.gateway.port} LOGIN@TARGET`));
    const serial = serialOf(result);
    const shown = await run('ssh-keygen', ['-L', '-f', cert], { env: { ...process.env, TZ: 'UTC' } });
    assert.match(shown.stdout, new RegExp(`Serial: ${serial}`));
    assert.match(shown.stdout, /Principals: \n\s+alice\n/);
    const issued = await cast.gateway.waitForAuditEvent((e) => e.type === 'certificate.issue' && e.serial === serial);
    assert.equal(issued.user, 'alice');
    assert.match(String(issued.key_id), /^jumpgate-login alice /);

    const reached = await sshThrough(cast, home, 'alice');
    assert.equal(reached.code, 0, describeRun(reached));
    assert.match(reached.stdout, /reached-42/);
    await cast.gateway.waitForAuditEvent((e) => e.type === 'auth.success' && e.user === 'alice' && e.serial === serial);

    const revoked = await cast.gateway.jumpgate(['certificate', 'revoke', serial, '--reason', 'laptop lost']);
    assert.equal(revoked.code, 0, describeRun(revoked));
    const refused = await sshThrough(cast, home, 'alice');
    assert.equal(refused.code, 255, describeRun(refused));
    assert.doesNotMatch(refused.stdout, /reached-42/);
    await cast.gateway.waitForAuditEvent((e) => e.type === 'auth.failure' && e.user === 'alice' && e.reason === `certificate serial ${serial} revoked`);
  });

  test('a certificate past its TTL (a role shortened it) is refused; it worked before', { timeout: 120_000 }, async () => {
    // Without --user: the code binds to whoever approves it.
    const { home, result } = await loginAs(cast, 'carol', false);
    assert.match(result.stdout, /Certificate for carol written/);
    const shown = await run('ssh-keygen', ['-L', '-f', path.join(home, '.ssh', 'jumpgate-cert.pub')], { env: { ...process.env, TZ: 'UTC' } });
    const [, from, to] = /Valid: from (\S+) to (\S+)/.exec(shown.stdout) ?? [];
    assert.equal((Date.parse(`${to}Z`) - Date.parse(`${from}Z`)) / 1000, 60 + SHORT_TTL_SECONDS, shown.stdout);
    const reached = await sshThrough(cast, home, 'carol');
    assert.equal(reached.code, 0, describeRun(reached));
    const wait = Date.parse(`${to}Z`) + 1500 - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const refused = await sshThrough(cast, home, 'carol');
    assert.equal(refused.code, 255, describeRun(refused));
    await cast.gateway.waitForAuditEvent((e) => e.type === 'auth.failure' && e.user === 'carol' && /expired/.test(String(e.reason)));
  });

  test('a code is approved only by its person, once', { timeout: 60_000 }, async () => {
    const home = makeTempDir('home-alice-2');
    const login = startJumpgateLogin(cast.httpBase, home, ['--user', 'alice']);
    const [, code] = await waitForOutput(login, /approve code ([A-Z2-9]{4}-[A-Z2-9]{4})/);
    const byBob = await (await signedIn(cast, 'bob')).request('POST', `/api/v1/approvals/${code}`);
    assert.equal(byBob.status, 403, byBob.text);
    const alice = await signedIn(cast, 'alice');
    assert.equal((await alice.request('POST', `/api/v1/approvals/${code}`)).status, 200);
    const again = await alice.request('POST', `/api/v1/approvals/${code}`);
    assert.equal(again.status, 409, again.text);
    assert.equal((await login.exited).code, 0);
  });

  test('http:// is refused for a gate that is not loopback (exit 2)', async () => {
    const home = makeTempDir('home-plain');
    const plain = await run(process.execPath, [jumpgateBin, 'login', '--gate', 'http://192.0.2.10:8022', '--no-browser'], { cwd: repoRoot, env: { ...process.env, HOME: home }, timeoutMs: 20_000 });
    assert.equal(plain.code, 2, describeRun(plain));
    assert.match(plain.stderr, /http:\/\/ only for loopback/);
    assert.equal(fs.existsSync(path.join(home, '.ssh')), false);
  });
});

describe('browser-approved SSH login over keyboard-interactive', () => {
  const cast = suiteFixture(startCast);

  /** ssh -J as dave would type it, with no key at all, under a pty. */
  function sshWithoutKey(user: string): TrackedProcess {
    const config = path.join(cast.gateway.workDir, `ssh_config.kbd.${user}`);
    const common = ['  UserKnownHostsFile /dev/null', '  StrictHostKeyChecking no', '  IdentityAgent none', '  BatchMode no', '  ConnectTimeout 60', '  LogLevel INFO'];
    fs.writeFileSync(config, [
      'Host gate', '  HostName 127.0.0.1', `  Port ${cast.gateway.port}`, `  User ${user}`, '  PubkeyAuthentication no',
      '  PreferredAuthentications keyboard-interactive', '  NumberOfPasswordPrompts 3', ...common,
      'Host db1', `  IdentityFile ${cast.targetKey.privateKeyPath}`, '  IdentitiesOnly yes', ...common, '',
    ].join('\n'));
    return spawnTracked('python3', [PTY_RUN, 'ssh', '-F', config, '-J', 'gate', `${cast.db1.login}@db1`, 'echo reached-$((40 + 2))'], { keepStdinOpen: true, timeoutMs: 90_000 });
  }

  const PROMPT = /Approve ([A-Z2-9]{4}-[A-Z2-9]{4}) at (\S+), then press Enter/;

  test('the person approves the code shown, presses Enter, and is in', { timeout: 90_000 }, async () => {
    const ssh = sshWithoutKey('alice');
    const [, code, url] = await waitForOutput(ssh, PROMPT);
    assert.equal(url, `${cast.httpBase}/approve/${code}`);
    const client = await signedIn(cast, 'alice');
    const shown = await client.request('GET', `/api/v1/approvals/${code}`);
    assert.equal(shown.status, 200, shown.text);
    assert.match((shown.body as { subject: string }).subject, /^SSH login as alice from 127\.0\.0\.1:\d+$/);
    assert.equal((await client.request('POST', `/api/v1/approvals/${code}`)).status, 200);
    ssh.child.stdin!.write('\n');
    const result = await ssh.exited;
    assert.equal(result.code, 0, describeRun(result));
    assert.match(result.stdout, /reached-42/);
    await cast.gateway.waitForAuditEvent((e) => e.type === 'auth.success' && e.user === 'alice' && e.method === 'browser-approval');
  });

  test('Enter without an approval, or after another person approved, is refused', { timeout: 90_000 }, async () => {
    const ssh = sshWithoutKey('alice');
    const [, code] = await waitForOutput(ssh, PROMPT);
    ssh.child.stdin!.write('\n');
    await waitForOutput(ssh, /Not approved yet\. Approve/);
    const byBob = await (await signedIn(cast, 'bob')).request('POST', `/api/v1/approvals/${code}`);
    assert.equal(byBob.status, 403, byBob.text);
    ssh.child.stdin!.write('\n');
    await waitForOutput(ssh, /Not approved yet\.[\s\S]*Not approved yet\. Approve/);
    ssh.child.stdin!.write('\n');
    const result = await ssh.exited;
    assert.notEqual(result.code, 0, describeRun(result));
    assert.doesNotMatch(result.stdout, /reached-42/);
    await cast.gateway.waitForAuditEvent((e) => e.type === 'auth.failure' && e.user === 'alice' && e.reason === 'browser approval not given');
  });

  test('a code past its time (ssh.loginGraceTime here) is refused, and its connection closed', { timeout: 90_000 }, async () => {
    const ssh = sshWithoutKey('alice');
    const [, code] = await waitForOutput(ssh, PROMPT);
    await new Promise((resolve) => setTimeout(resolve, (GRACE_SECONDS + 1) * 1000));
    const late = await (await signedIn(cast, 'alice')).request('POST', `/api/v1/approvals/${code}`);
    assert.equal(late.status, 410, late.text);
    ssh.child.stdin!.write('\n');
    const result = await ssh.exited;
    assert.notEqual(result.code, 0, describeRun(result));
    assert.doesNotMatch(result.stdout, /reached-42/);
  });
});
