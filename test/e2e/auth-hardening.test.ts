/**
 * Authentication and hardening, end to end with the stock OpenSSH client:
 * passwords (password and keyboard-interactive), a TOTP second factor with
 * replay protection and recovery codes (also after `vault rotate`, and a
 * secret the vault cannot open refused with a reason), brute-force bans that survive a
 * restart, a user lock that only knowledge factors count toward, bad login
 * names (control characters, absurd length) refused and audited printably, pre-auth
 * limits (loginGraceTime, maxStartups), port knocking and the modern-only
 * algorithm set.
 *
 * Passwords and codes reach ssh through SSH_ASKPASS (SSH_ASKPASS_REQUIRE=force,
 * BatchMode no, stdin not a terminal). Addresses other than 127.0.0.1 are used
 * as "other clients" (ssh BindAddress, socket localAddress), so a ban or a
 * knock on one of them leaves the rest of the test alone.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import ssh2 from 'ssh2';
import { totpCode } from '../../src/auth/totp.js';
import { makeAskpass, type Askpass } from '../helpers/askpass.js';
import { cleanupAll } from '../helpers/cleanup.js';
import { runJumpgate, settingsWith, startGateway, type AuditEvent, type Gateway } from '../helpers/gateway.js';
import { makeKeyPair, type KeyPair } from '../helpers/keys.js';
import { freePort } from '../helpers/ports.js';
import { run, type RunResult } from '../helpers/processes.js';
import { describeRun } from '../helpers/ssh-client.js';
import { osLogin, startSshd, type Sshd } from '../helpers/sshd.js';
import { startProxiedWorld, type ProxiedWorld } from '../helpers/world.js';
import { parseSshKey } from '../../src/domain/ssh-public-key.js';

// ---------------------------------------------------------------------------
// A gateway whose jumpgate.yaml the test writes before `serve` starts

/**
 * `jumpgate init`, then each key path of jumpgate.yaml set to its value (in the
 * file init wrote, so its shape and comments stay), then `jumpgate serve`.
 */
function startConfiguredGateway(settings: Array<[string[], unknown]>): Promise<Gateway> {
  return startGateway({ settings: settingsWith(settings) });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// ---------------------------------------------------------------------------
// The OpenSSH client, one ssh_config per use

interface ClientOptions {
  /** The name on the gateway. */
  user: string;
  /** The key offered to the gateway (and to targets behind it); none: password only. */
  key?: string;
  /** Local source address (ssh BindAddress). */
  bind?: string;
  /** PreferredAuthentications for the gateway; default publickey,keyboard-interactive,password. */
  preferred?: string;
  /**
   * NumberOfPasswordPrompts, default 1 (one attempt per connection). OpenSSH
   * counts every keyboard-interactive round of a connection against it, so a
   * password and then a code over keyboard-interactive need 2.
   */
  passwordPrompts?: number;
}

interface Client {
  configFile: string;
  run(args: readonly string[], timeoutMs?: number): Promise<RunResult>;
}

let clientCounter = 0;

function makeClient(gateway: Gateway, askpass: Askpass, options: ClientOptions): Client {
  clientCounter += 1;
  const configFile = path.join(gateway.workDir, `ssh_config.${options.user}.${clientCounter}`);
  const common = [
    '  IdentitiesOnly yes',
    '  IdentityAgent none',
    '  UserKnownHostsFile /dev/null',
    '  StrictHostKeyChecking no',
    '  BatchMode no',
    '  ConnectTimeout 10',
    `  NumberOfPasswordPrompts ${options.passwordPrompts ?? 1}`,
    '  LogLevel ERROR',
  ];
  const lines = [
    'Host gate',
    `  HostName ${gateway.host}`,
    `  Port ${gateway.port}`,
    `  User ${options.user}`,
    ...(options.key ? [`  IdentityFile ${options.key}`] : ['  PubkeyAuthentication no']),
    ...(options.bind ? [`  BindAddress ${options.bind}`] : []),
    `  PreferredAuthentications ${options.preferred ?? 'publickey,keyboard-interactive,password'}`,
    ...common,
    '',
    'Host *',
    ...(options.key ? [`  IdentityFile ${options.key}`] : []),
    ...common,
    '',
  ];
  fs.writeFileSync(configFile, lines.join('\n'), { mode: 0o600 });
  return {
    configFile,
    run: (args, timeoutMs = 30_000) => run('ssh', ['-F', configFile, ...args], { env: askpass.env, timeoutMs }),
  };
}

/** `ssh gate` with no command: authenticated users get the how-to-connect text and exit 1. */
function assertLoggedIn(r: RunResult, what: string): void {
  assert.equal(r.code, 1, `${what}: expected the gateway's no-shell answer (exit 1)\n${describeRun(r)}`);
  assert.match(r.stderr, /there is no shell on the gateway/, `${what}\n${describeRun(r)}`);
}

/** A connection the gateway closed before its SSH version line, as OpenSSH reports it. */
function assertClosedBeforeBanner(r: RunResult, what: string): void {
  assert.equal(r.code, 255, `${what}\n${describeRun(r)}`);
  assert.match(r.stderr, /kex_exchange_identification|Connection closed|Connection reset/, `${what}\n${describeRun(r)}`);
  assert.doesNotMatch(r.stderr, /Permission denied/, `${what}: the gateway got as far as authentication\n${describeRun(r)}`);
}

// ---------------------------------------------------------------------------
// Raw TCP

interface Probe {
  /** The server's first bytes (an SSH version line when it spoke). */
  data: string;
  /** The server closed (or reset) the connection within the wait. */
  closed: boolean;
}

/**
 * Connects from `localAddress` to the gateway, sends nothing, and waits up to
 * waitMs for the server either to send its version line or to close.
 */
function probe(port: number, localAddress: string, waitMs = 5_000): Promise<Probe> {
  return new Promise((resolve) => {
    let data = '';
    const socket = net.connect({ host: '127.0.0.1', port, localAddress });
    const finish = (closed: boolean): void => {
      clearTimeout(timer);
      socket.removeAllListeners();
      socket.on('error', () => {});
      socket.destroy();
      resolve({ data, closed });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.on('data', (chunk: Buffer) => {
      data += chunk.toString('latin1');
      if (data.includes('\n')) finish(false);
    });
    socket.on('error', () => finish(true));
    socket.on('close', () => finish(true));
  });
}

function assertProbeRefused(p: Probe, what: string): void {
  assert.equal(p.data, '', `${what}: the gateway sent ${JSON.stringify(p.data)} (expected nothing)`);
  assert.equal(p.closed, true, `${what}: the gateway kept the connection open without a word`);
}

/** A banned address reads one line saying so, and no SSH version line (SPEC §5, `bans`). */
function assertProbeBanned(p: Probe, ip: string): void {
  const shown = ip.replace(/\./g, '\\.');
  assert.match(p.data, new RegExp(`^jumpgate: ${shown} is banned until \\d{4}-\\S+Z \\(an operator can lift it: jumpgate unban ${shown}\\)\\r\\n$`), `banned ${ip}: the gateway sent ${JSON.stringify(p.data)}`);
}

function assertProbeBanner(p: Probe, what: string): void {
  assert.match(p.data, /^SSH-2\.0-/, `${what}: expected an SSH version line, got ${JSON.stringify(p.data)} (closed: ${p.closed})`);
}

/** One TCP connect from 127.0.0.1 to a knock port, waiting until the gateway has closed it. */
function knockOn(port: number, localAddress = '127.0.0.1'): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port, localAddress });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`knock on ${port}: not closed by the gateway within 5 s`));
    }, 5_000);
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

// ---------------------------------------------------------------------------
// Resources

function userYaml(name: string, roles: string[], keys: KeyPair[]): string {
  const keyLines = keys.length > 0 ? `keys:\n${keys.map((k) => `  - ${k.publicKey}\n`).join('')}` : 'keys: []\n';
  return `kind: User\nname: ${name}\nroles: [${roles.join(', ')}]\n${keyLines}`;
}

/** A gateway with `settings` and one user, alice (no roles), who logs in with her own key. */
async function startGatewayWithAlice(settings: Array<[string[], unknown]>): Promise<{ gateway: Gateway; aliceKey: KeyPair }> {
  const gateway = await startConfiguredGateway(settings);
  const aliceKey = await makeKeyPair(gateway.workDir, 'alice', 'alice@laptop');
  await gateway.apply(userYaml('alice', [], [aliceKey]));
  return { gateway, aliceKey };
}

function targetYaml(db1: Sshd): string {
  return `kind: Target
name: db1
host: 127.0.0.1
port: ${db1.port}
login: ${osLogin}
`;
}

/**
 * The gateway may write an attempt's events just after the client has gone:
 * waits until `count` events of `type` (and user) exist after `mark`, then a
 * little longer for any unexpected extra, and returns them all.
 */
async function settled(gateway: Gateway, mark: number, type: string, user: string | undefined, count: number): Promise<AuditEvent[]> {
  const deadline = Date.now() + 5_000;
  while (since(gateway, mark, type, user).length < count && Date.now() < deadline) await sleep(50);
  await sleep(300);
  return since(gateway, mark, type, user);
}

function since(gateway: Gateway, mark: number, type: string, user?: string): AuditEvent[] {
  return gateway
    .auditEvents()
    .slice(mark)
    .filter((e) => e.type === type && (user === undefined || e.user === user));
}

/** Files under dir, recursively, as bytes. */
function filesUnder(dir: string): Array<{ file: string; bytes: Buffer }> {
  const out: Array<{ file: string; bytes: Buffer }> = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(full));
    else if (entry.isFile()) out.push({ file: full, bytes: fs.readFileSync(full) });
  }
  return out;
}

const STEP_MS = 30_000;
const stepOf = (t: number): number => Math.floor(t / STEP_MS);

/** Six digits that are not the code of the current step or either neighbour. */
function wrongCode(secret: string): string {
  const now = Date.now();
  const valid = new Set([totpCode(secret, now - STEP_MS), totpCode(secret, now), totpCode(secret, now + STEP_MS)]);
  for (let n = 123456; ; n += 111111) {
    const candidate = String(n % 1_000_000).padStart(6, '0');
    if (!valid.has(candidate)) return candidate;
  }
}

after(async () => {
  await cleanupAll();
}, { timeout: 30_000 });

// ---------------------------------------------------------------------------

describe('passwords', () => {
  const carolPassword = 'correct horse battery staple';
  let keyOnly: Gateway;
  let withPasswords: Gateway;
  let askpass: Askpass;
  let carolKey: KeyPair;

  const carolYaml = (): string => `${userYaml('carol', [], [carolKey])}---\n${userYaml('erin', [], [])}`;

  before(async () => {
    askpass = makeAskpass();
    [keyOnly, withPasswords] = await Promise.all([
      startConfiguredGateway([]),
      startConfiguredGateway([[['ssh', 'authMethods'], ['publickey', 'password', 'keyboard-interactive']]]),
    ]);
    carolKey = await makeKeyPair(keyOnly.workDir, 'carol', 'carol@laptop');
    for (const g of [keyOnly, withPasswords]) {
      await g.apply(carolYaml());
      const set = await g.jumpgate(['user', 'passwd', 'carol', '--stdin'], { input: `${carolPassword}\n` });
      assert.equal(set.code, 0, describeRun(set));
    }
    const erin = await withPasswords.jumpgate(['user', 'passwd', 'erin', '--stdin'], { input: 'erin has a long password\n' });
    assert.equal(erin.code, 0, describeRun(erin));
  }, { timeout: 60_000 });

  after(async () => {
    await Promise.allSettled([keyOnly?.stop(), withPasswords?.stop()]);
  }, { timeout: 30_000 });

  test('user passwd --stdin refuses short passwords and stores only an argon2id hash', { timeout: 30_000 }, async () => {
    const short = await keyOnly.jumpgate(['user', 'passwd', 'erin', '--stdin'], { input: 'elevenchars\n' });
    assert.equal(short.code, 2, `an 11-character password must be refused as bad input\n${describeRun(short)}`);

    const set = await keyOnly.jumpgate(['user', 'passwd', 'erin', '--stdin'], { input: 'twelve chars\n' });
    assert.equal(set.code, 0, describeRun(set));

    const files = filesUnder(keyOnly.dataDir);
    const leaks = files.filter((f) => f.bytes.includes(carolPassword) || f.bytes.includes('twelve chars'));
    assert.deepEqual(leaks.map((f) => path.relative(keyOnly.dataDir, f.file)), [], 'a password is stored in clear');
    const hashes = files.flatMap((f) => f.bytes.toString('latin1').match(/\$argon2id\$v=19\$[^\s'"\x00]*/g) ?? []);
    assert.ok(new Set(hashes).size >= 2, `expected argon2id hashes for carol and erin in the data dir, found ${hashes.length}`);
  });

  test('with authMethods [publickey] no password is offered', { timeout: 30_000 }, async () => {
    askpass.setPassword(carolPassword);
    askpass.clearPrompts();
    const client = makeClient(keyOnly, askpass, { user: 'carol' });
    const r = await client.run(['-o', 'LogLevel=DEBUG1', 'gate']);
    assert.equal(r.code, 255, describeRun(r));
    assert.match(r.stderr, /Permission denied \(publickey\)/, describeRun(r));
    const offered = [...r.stderr.matchAll(/Authentications that can continue: (\S+)/g)].map((m) => m[1]);
    assert.ok(offered.length > 0, `ssh -v did not show the methods offered\n${describeRun(r)}`);
    for (const methods of offered) assert.equal(methods, 'publickey', `methods offered: ${methods}`);
    assert.deepEqual(askpass.prompts(), [], 'ssh asked for a password although none is offered');
    assert.equal(since(keyOnly, 0, 'auth.success', 'carol').length, 0);

    // Her key still works.
    const withKey = makeClient(keyOnly, askpass, { user: 'carol', key: carolKey.privateKeyPath });
    assertLoggedIn(await withKey.run(['gate']), 'carol with her key');
  });

  test('password method logs in when authMethods has password', { timeout: 30_000 }, async () => {
    askpass.setPassword(carolPassword);
    askpass.clearPrompts();
    const mark = withPasswords.auditEvents().length;
    const client = makeClient(withPasswords, askpass, { user: 'carol', preferred: 'password' });
    const r = await client.run(['gate']);
    assertLoggedIn(r, 'carol with her password');
    assert.ok(askpass.prompts().some((p) => /password/i.test(p)), `prompts: ${askpass.prompts().join(' | ')}`);
    const success = await withPasswords.waitForAuditEvent((e, i) => i >= mark && e.type === 'auth.success' && e.user === 'carol');
    assert.equal(success.method, 'password');
  });

  test('keyboard-interactive asks "Password: " and logs in', { timeout: 30_000 }, async () => {
    askpass.setPassword(carolPassword);
    askpass.clearPrompts();
    const mark = withPasswords.auditEvents().length;
    const client = makeClient(withPasswords, askpass, { user: 'carol', preferred: 'keyboard-interactive' });
    const r = await client.run(['gate']);
    assertLoggedIn(r, 'carol over keyboard-interactive');
    const prompts = askpass.prompts();
    assert.equal(prompts.length, 1, `prompts: ${prompts.join(' | ')}`);
    assert.match(prompts[0], /Password: $/);
    const success = await withPasswords.waitForAuditEvent((e, i) => i >= mark && e.type === 'auth.success' && e.user === 'carol');
    assert.equal(success.method, 'keyboard-interactive');
  });

  test('a wrong password is refused and audited', { timeout: 30_000 }, async () => {
    askpass.setPassword('not the right password');
    const mark = withPasswords.auditEvents().length;
    for (const preferred of ['password', 'keyboard-interactive']) {
      const client = makeClient(withPasswords, askpass, { user: 'carol', preferred, bind: '127.0.0.3' });
      const r = await client.run(['gate']);
      assert.equal(r.code, 255, `${preferred}\n${describeRun(r)}`);
      assert.match(r.stderr, /Permission denied/, describeRun(r));
    }
    const failures = await settled(withPasswords, mark, 'auth.failure', 'carol', 2);
    assert.deepEqual(failures.map((e) => [e.method, e.reason]), [
      ['password', 'wrong password'],
      ['keyboard-interactive', 'wrong password'],
    ]);
    assert.equal(since(withPasswords, mark, 'auth.success').length, 0);
    for (const e of withPasswords.auditEvents()) assert.ok(!JSON.stringify(e).includes('not the right password'), 'a password reached the audit log');
  });

  test('5 wrong passwords from one address ban it', { timeout: 60_000 }, async () => {
    askpass.setPassword('not the right password');
    const mark = withPasswords.auditEvents().length;
    const client = makeClient(withPasswords, askpass, { user: 'erin', preferred: 'password', bind: '127.0.0.6' });
    for (let i = 1; i <= 5; i += 1) {
      const r = await client.run(['gate']);
      assert.equal(r.code, 255, `attempt ${i}\n${describeRun(r)}`);
      if (i < 5) {
        await sleep(200);
        assert.equal(
          since(withPasswords, mark, 'ban.add').filter((e) => e.address === '127.0.0.6').length,
          0,
          `127.0.0.6 was banned after ${i} wrong passwords`,
        );
      }
    }
    await withPasswords.waitForAuditEvent((e, i) => i >= mark && e.type === 'ban.add' && e.address === '127.0.0.6');
    assertProbeBanned(await probe(withPasswords.port, '127.0.0.6'), '127.0.0.6');
    // Others are not affected.
    assertProbeBanner(await probe(withPasswords.port, '127.0.0.1'), '127.0.0.1');
  });
});

// ---------------------------------------------------------------------------

describe('TOTP second factor', () => {
  let gateway: Gateway;
  let db1: Sshd;
  let askpass: Askpass;
  let alice: Client;
  let aliceSecret = '';
  let aliceRecovery: string[] = [];
  let lastCode = '';
  let lastSuccessAt = 0;
  const keys: Record<string, KeyPair> = {};

  const enrol = async (name: string): Promise<RunResult> => {
    const r = await gateway.jumpgate(['user', 'totp', name]);
    assert.equal(r.code, 0, describeRun(r));
    return r;
  };

  before(async () => {
    askpass = makeAskpass();
    // Failures here are deliberate; keep the ban machinery out of the way.
    gateway = await startConfiguredGateway([[['bans', 'maxAuthFailures'], 1000]]);
    for (const name of ['alice', 'bob']) keys[name] = await makeKeyPair(gateway.workDir, name, `${name}@laptop`);
    db1 = await startSshd({ authorizedKeys: [keys.alice.publicKey, keys.bob.publicKey] });
    await gateway.apply(
      [
        userYaml('alice', ['ops-mfa'], [keys.alice]),
        userYaml('bob', ['ops'], [keys.bob]),
        targetYaml(db1),
        'kind: Role\nname: ops-mfa\nallow:\n  - targets: [db1]\n    access: [jump]\n    mfa: true\n',
        'kind: Role\nname: ops\nallow:\n  - targets: [db1]\n    access: [jump]\n',
      ].join('---\n'),
    );
    alice = makeClient(gateway, askpass, { user: 'alice', key: keys.alice.privateKeyPath });
  }, { timeout: 60_000 });

  after(async () => {
    await Promise.allSettled([gateway?.stop(), db1?.stop()]);
  }, { timeout: 30_000 });

  test('user totp prints an otpauth URI, a QR code and 10 recovery codes', { timeout: 30_000 }, async () => {
    const r = await enrol('alice');
    const uri = /otpauth:\/\/totp\/\S+/.exec(r.stdout)?.[0];
    assert.ok(uri, `no otpauth URI\n${describeRun(r)}`);
    const secret = /[?&]secret=([A-Z2-7]+)/.exec(uri)?.[1];
    assert.ok(secret && secret.length >= 16, `no base32 secret in ${uri}`);
    aliceSecret = secret;
    assert.match(r.stdout, /[█▀▄]{4}/, 'no QR code drawn for the terminal');
    // 16 base32 symbols: 80 random bits each.
    aliceRecovery = [...r.stdout.matchAll(/^\s*([0-9a-z]{4}(?:-[0-9a-z]{4}){3})\s*$/gm)].map((m) => m[1]);
    assert.equal(aliceRecovery.length, 10, `recovery codes: ${aliceRecovery.join(', ')}\n${r.stdout}`);
    assert.equal(new Set(aliceRecovery).size, 10, 'recovery codes repeat');
    // Stored only as salted argon2id hashes: neither the codes nor a plain hash of them is in the data dir.
    const stored = filesUnder(gateway.dataDir).map((f) => f.bytes.toString('latin1')).join('\n');
    for (const code of aliceRecovery) {
      for (const form of [code, code.replace(/-/g, '')]) {
        assert.ok(!stored.includes(form), `recovery code ${code} is stored in clear`);
        assert.ok(!stored.includes(createHash('sha256').update(form).digest('hex')), `recovery code ${code} is stored as a plain SHA-256`);
      }
    }
    assert.ok((stored.match(/\$argon2id\$v=19\$/g) ?? []).length >= 10, 'no argon2id hashes of the recovery codes in the data dir');
    // The secret is not in the audit trail.
    for (const e of gateway.auditEvents()) assert.ok(!JSON.stringify(e).includes(secret), 'the TOTP secret reached the audit log');
  });

  test('after the key, a rule with mfa asks "Verification code: " and a valid code lets alice through', { timeout: 60_000 }, async () => {
    assert.ok(aliceSecret, 'enrolment failed');
    askpass.clearPrompts();
    const mark = gateway.auditEvents().length;
    lastCode = totpCode(aliceSecret);
    askpass.setCode(lastCode);
    const r = await alice.run(['-J', 'gate', `${osLogin}@db1`, 'echo reached-db1']);
    lastSuccessAt = Date.now();
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, /reached-db1/);
    const prompts = askpass.prompts();
    assert.equal(prompts.length, 1, `prompts: ${prompts.join(' | ')}`);
    assert.match(prompts[0], /Verification code: $/);
    const success = await gateway.waitForAuditEvent((e, i) => i >= mark && e.type === 'auth.success' && e.user === 'alice');
    assert.equal(success.method, 'publickey+totp');
    assert.equal(since(gateway, mark, 'auth.failure', 'alice').length, 0);
  });

  test('the same code again is refused as already used', { timeout: 30_000 }, async () => {
    assert.ok(lastCode, 'no earlier successful login');
    askpass.setCode(lastCode);
    const mark = gateway.auditEvents().length;
    const r = await alice.run(['gate']);
    assert.equal(r.code, 255, `a replayed code was accepted\n${describeRun(r)}`);
    const failures = await settled(gateway, mark, 'auth.failure', 'alice', 1);
    assert.deepEqual(failures.map((e) => e.reason), ['verification code already used']);
    assert.equal(failures[0].method, 'publickey+totp');
    assert.equal(since(gateway, mark, 'auth.success').length, 0);
  });

  /** alice offers her key and then `code`: refused, and audited as one failure with `reason`. */
  const assertCodeRefused = async (code: string, reason: string): Promise<void> => {
    askpass.setCode(code);
    const mark = gateway.auditEvents().length;
    const r = await alice.run(['gate']);
    assert.equal(r.code, 255, describeRun(r));
    const failures = await settled(gateway, mark, 'auth.failure', 'alice', 1);
    assert.deepEqual(failures.map((e) => [e.method, e.reason]), [['publickey+totp', reason]]);
    assert.equal(since(gateway, mark, 'auth.success').length, 0);
  };

  test('a wrong code is refused', { timeout: 30_000 }, async () => {
    await assertCodeRefused(wrongCode(aliceSecret), 'wrong verification code');
  });

  test('a wrong or reused code is told to the person with the next prompt', { timeout: 30_000 }, async () => {
    const retrying = makeClient(gateway, askpass, { user: 'alice', key: keys.alice.privateKeyPath, passwordPrompts: 2 });
    askpass.clearPrompts();
    askpass.setCode(wrongCode(aliceSecret));
    const refused = await retrying.run(['gate']);
    assert.equal(refused.code, 255, describeRun(refused));
    const prompts = askpass.prompts();
    assert.equal(prompts.length, 2, `prompts: ${prompts.join(' | ')}`);
    assert.doesNotMatch(prompts[0], /wrong/, 'the first prompt already speaks of a wrong code');
    assert.match(prompts[1], /That code is wrong \(is the clock of your device right\?\)\. Try again\..*Verification code: $/);

    // A code that already let alice in is named as such.
    askpass.clearPrompts();
    askpass.setCode(lastCode);
    const replayed = await retrying.run(['gate']);
    assert.equal(replayed.code, 255, describeRun(replayed));
    assert.match(askpass.prompts()[1] ?? '', /That code was used already; wait for the next one\. Try again\. Verification code: $/, askpass.prompts().join(' | '));
  });

  test('an empty code is refused', { timeout: 30_000 }, async () => {
    await assertCodeRefused('', 'no verification code given');
  });

  test('a recovery code works once', { timeout: 30_000 }, async () => {
    assert.equal(aliceRecovery.length, 10, 'enrolment failed');
    const code = aliceRecovery[3];
    askpass.setCode(code);
    let mark = gateway.auditEvents().length;
    assertLoggedIn(await alice.run(['gate']), 'alice with a recovery code');
    const success = await gateway.waitForAuditEvent((e, i) => i >= mark && e.type === 'auth.success' && e.user === 'alice');
    assert.match(String(success.method), /^publickey\+/);
    for (const e of gateway.auditEvents()) assert.ok(!JSON.stringify(e).includes(code), 'a recovery code reached the audit log');

    mark = gateway.auditEvents().length;
    const again = await alice.run(['gate']);
    assert.equal(again.code, 255, `a used recovery code was accepted again\n${describeRun(again)}`);
    assert.equal((await settled(gateway, mark, 'auth.failure', 'alice', 1)).length, 1);
    assert.equal(since(gateway, mark, 'auth.success').length, 0);
  });

  test('a fresh code in the next time step works again', { timeout: 60_000 }, async () => {
    assert.ok(lastSuccessAt > 0, 'no earlier successful login');
    // The step of the accepted code is at most the step current when it was accepted.
    while (stepOf(Date.now()) <= stepOf(lastSuccessAt)) await sleep(250);
    await sleep(300);
    askpass.setCode(totpCode(aliceSecret));
    const mark = gateway.auditEvents().length;
    assertLoggedIn(await alice.run(['gate']), 'alice with the next step\'s code');
    const success = await gateway.waitForAuditEvent((e, i) => i >= mark && e.type === 'auth.success' && e.user === 'alice');
    assert.equal(success.method, 'publickey+totp');
  });

  test('a user whose roles have no mfa rule is not asked for a code', { timeout: 30_000 }, async () => {
    await enrol('bob');
    askpass.clearPrompts();
    askpass.setCode('000000');
    const mark = gateway.auditEvents().length;
    const bob = makeClient(gateway, askpass, { user: 'bob', key: keys.bob.privateKeyPath });
    const r = await bob.run(['-J', 'gate', `${osLogin}@db1`, 'echo bob-reached-db1']);
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, /bob-reached-db1/);
    assert.ok(!askpass.prompts().some((p) => p.includes('Verification')), `bob was asked: ${askpass.prompts().join(' | ')}`);
    const success = await gateway.waitForAuditEvent((e, i) => i >= mark && e.type === 'auth.success' && e.user === 'bob');
    assert.equal(success.method, 'publickey');
  });

  test('keyboard-interactive password, then the code', { timeout: 30_000 }, async () => {
    // A gateway of its own, with passwords allowed.
    const g = await startConfiguredGateway([[['ssh', 'authMethods'], ['publickey', 'keyboard-interactive']]]);
    try {
      await g.apply(
        [userYaml('dave', ['ops-mfa'], []), 'kind: Role\nname: ops-mfa\nallow:\n  - targets: ["*"]\n    access: [jump]\n    mfa: true\n'].join('---\n'),
      );
      const password = 'dave has a long password';
      const set = await g.jumpgate(['user', 'passwd', 'dave', '--stdin'], { input: password });
      assert.equal(set.code, 0, describeRun(set));
      const t = await g.jumpgate(['user', 'totp', 'dave']);
      assert.equal(t.code, 0, describeRun(t));
      const secret = /[?&]secret=([A-Z2-7]+)/.exec(t.stdout)?.[1];
      assert.ok(secret, describeRun(t));

      const pa = makeAskpass();
      pa.setPassword(password);
      pa.setCode(totpCode(secret));
      const client = makeClient(g, pa, { user: 'dave', preferred: 'keyboard-interactive', passwordPrompts: 2 });
      const r = await client.run(['gate']);
      assertLoggedIn(r, 'dave with password and code');
      const prompts = pa.prompts();
      assert.equal(prompts.length, 2, `prompts: ${prompts.join(' | ')}`);
      assert.match(prompts[0], /Password: $/);
      assert.match(prompts[1], /Verification code: $/);
      const success = await g.waitForAuditEvent((e) => e.type === 'auth.success' && e.user === 'dave');
      assert.equal(success.method, 'keyboard-interactive+totp');
    } finally {
      await g.stop();
    }
  });
});

// ---------------------------------------------------------------------------

describe('vault rotate', () => {
  let world: ProxiedWorld;
  let askpass: Askpass;
  let bobKey: KeyPair;

  /** The otpauth secret that `jumpgate user totp` printed. */
  const secretOf = (r: RunResult): string => {
    assert.equal(r.code, 0, describeRun(r));
    const secret = /[?&]secret=([A-Z2-7]+)/.exec(r.stdout)?.[1];
    assert.ok(secret, describeRun(r));
    return secret;
  };

  before(async () => {
    askpass = makeAskpass();
    world = await startProxiedWorld({
      extraYaml: async ({ gateway }) => {
        bobKey = await makeKeyPair(gateway.workDir, 'bob', 'bob@laptop');
        return `kind: Role
name: dba
allow:
  - targets: [db1]
    access: [session]
    mfa: true
---
${userYaml('bob', ['dba'], [bobKey])}`;
      },
    });
  }, { timeout: 60_000 });

  after(async () => {
    await world?.stop();
  }, { timeout: 30_000 });

  test('re-encrypts TOTP secrets with the credentials: a TOTP login and the credential still work', { timeout: 60_000 }, async () => {
    const { gateway } = world;
    const secret = secretOf(await gateway.jumpgate(['user', 'totp', 'alice']));
    const keyBefore = fs.readFileSync(path.join(gateway.dataDir, 'vault.key'), 'utf8');

    const rotated = await gateway.jumpgate(['vault', 'rotate']);
    assert.equal(rotated.code, 0, describeRun(rotated));
    // The credential db-key and alice's TOTP secret.
    assert.match(rotated.stdout, /; 2 secret\(s\) re-encrypted/, describeRun(rotated));
    const keyAfter = fs.readFileSync(path.join(gateway.dataDir, 'vault.key'), 'utf8');
    assert.notEqual(keyAfter, keyBefore);
    assert.equal(keyAfter.trim().split('\n').length, 1, 'the old key is still in the key file');

    askpass.clearPrompts();
    askpass.setCode(totpCode(secret));
    const mark = gateway.auditEvents().length;
    const alice = makeClient(gateway, askpass, { user: 'alice', key: world.keys.alice.privateKeyPath });
    const r = await alice.run(['alice+db1@gate', 'echo after-rotate']);
    assert.equal(r.code, 0, `${describeRun(r)}\n${gateway.stderrText()}`);
    assert.match(r.stdout, /after-rotate/);
    assert.ok(askpass.prompts().some((p) => /Verification code: $/.test(p)), `prompts: ${askpass.prompts().join(' | ')}`);
    const success = await gateway.waitForAuditEvent((e, i) => i >= mark && e.type === 'auth.success' && e.user === 'alice');
    assert.equal(success.method, 'publickey+totp');
  });

  test('a TOTP secret the vault cannot open is logged and refused with a reason in auth.failure', { timeout: 60_000 }, async () => {
    const { gateway } = world;
    // Enrolled under a vault key this gateway does not hold (another node's, an old backup's).
    const foreignKey = randomBytes(32).toString('base64');
    const secret = secretOf(await runJumpgate(['user', 'totp', 'bob', '--data', gateway.dataDir], { env: { ...process.env, JUMPGATE_VAULT_KEY: foreignKey } }));

    askpass.setCode(totpCode(secret));
    const mark = gateway.auditEvents().length;
    const bob = makeClient(gateway, askpass, { user: 'bob', key: bobKey.privateKeyPath });
    const r = await bob.run(['bob+db1@gate', 'echo should-not-run']);
    assert.equal(r.code, 255, describeRun(r));
    assert.doesNotMatch(r.stdout, /should-not-run/);
    const failures = await settled(gateway, mark, 'auth.failure', 'bob', 1);
    assert.deepEqual(failures.map((e) => [e.method, e.reason]), [['publickey+totp', 'second factor unavailable: the TOTP secret cannot be opened with the vault key']]);
    assert.match(gateway.stderrText(), /cannot open a TOTP secret/);
    for (const e of gateway.auditEvents()) assert.ok(!JSON.stringify(e).includes(secret), 'the TOTP secret reached the audit log');
    assert.ok(!gateway.stderrText().includes(secret), 'the TOTP secret reached the gateway log');
  });
});

// ---------------------------------------------------------------------------

describe('brute-force bans', () => {
  let gateway: Gateway;
  let askpass: Askpass;
  let aliceKey: KeyPair;
  let strangerKey: KeyPair;

  before(async () => {
    askpass = makeAskpass();
    ({ gateway, aliceKey } = await startGatewayWithAlice([
      [['bans'], { maxAuthFailures: 5, findWindow: '10m', banDuration: '30m', neverBan: [] }],
    ]));
    strangerKey = await makeKeyPair(gateway.workDir, 'stranger', 'stranger@elsewhere');
  }, { timeout: 60_000 });

  after(async () => {
    await gateway?.stop();
  }, { timeout: 30_000 });

  test('5 connections with a key that is not the user\'s ban the address; unban lifts it; a restart keeps it', { timeout: 120_000 }, async () => {
    const mark = gateway.auditEvents().length;
    const stranger = makeClient(gateway, askpass, { user: 'alice', key: strangerKey.privateKeyPath, bind: '127.0.0.5' });
    const aliceThere = makeClient(gateway, askpass, { user: 'alice', key: aliceKey.privateKeyPath, bind: '127.0.0.5' });
    const aliceHere = makeClient(gateway, askpass, { user: 'alice', key: aliceKey.privateKeyPath });

    for (let i = 1; i <= 5; i += 1) {
      const r = await stranger.run(['gate']);
      assert.equal(r.code, 255, `attempt ${i}\n${describeRun(r)}`);
      assert.match(r.stderr, /Permission denied/, `attempt ${i}\n${describeRun(r)}`);
      if (i < 5) {
        await sleep(300);
        assert.equal(since(gateway, mark, 'ban.add').length, 0, `banned after ${i} failed connections`);
      }
    }
    const ban = await gateway.waitForAuditEvent((e, i) => i >= mark && e.type === 'ban.add');
    assert.equal(ban.address, '127.0.0.5', JSON.stringify(ban));

    // Closed before the banner, even for the right key.
    assertProbeBanned(await probe(gateway.port, '127.0.0.5'), '127.0.0.5');
    assertClosedBeforeBanner(await aliceThere.run(['gate']), 'alice from banned 127.0.0.5');
    // Everyone else is served.
    assertLoggedIn(await aliceHere.run(['gate']), 'alice from 127.0.0.1');

    const list = await gateway.jumpgate(['bans']);
    assert.equal(list.code, 0, describeRun(list));
    assert.match(list.stdout, /^127\.0\.0\.5\s/m, describeRun(list));

    // A restart on the same data dir and port keeps the ban.
    await gateway.restart();
    assertProbeBanned(await probe(gateway.port, '127.0.0.5'), '127.0.0.5');
    assertClosedBeforeBanner(await aliceThere.run(['gate']), 'alice from banned 127.0.0.5 after a restart');
    assertLoggedIn(await aliceHere.run(['gate']), 'alice from 127.0.0.1 after a restart');

    const unbanMark = gateway.auditEvents().length;
    const unban = await gateway.jumpgate(['unban', '127.0.0.5']);
    assert.equal(unban.code, 0, describeRun(unban));
    const removed = await gateway.waitForAuditEvent((e, i) => i >= unbanMark && e.type === 'ban.remove');
    assert.equal(removed.address, '127.0.0.5');
    const listAfter = await gateway.jumpgate(['bans']);
    assert.equal(listAfter.code, 0, describeRun(listAfter));
    assert.doesNotMatch(listAfter.stdout, /127\.0\.0\.5/, describeRun(listAfter));

    assertLoggedIn(await aliceThere.run(['gate']), 'alice from 127.0.0.5 after unban');
    const again = await gateway.jumpgate(['unban', '127.0.0.5']);
    assert.equal(again.code, 1, `unban of an address that is not banned\n${describeRun(again)}`);
  });
});

// ---------------------------------------------------------------------------

/** How an ssh2 client's connection ended: logged in, refused at authentication, or closed otherwise. */
type Outcome = 'refused' | 'logged in' | 'closed';

function connectOutcome(config: ssh2.ConnectConfig): Promise<Outcome> {
  return new Promise((resolve) => {
    const client = new ssh2.Client();
    let outcome: Outcome | null = null;
    const settle = (how: Outcome): void => {
      outcome ??= how;
      client.end();
    };
    client.on('ready', () => settle('logged in'));
    client.on('error', (error: Error & { level?: string }) => settle(error.level === 'client-authentication' ? 'refused' : 'closed'));
    client.on('close', () => resolve(outcome ?? 'closed'));
    client.connect({ host: '127.0.0.1', readyTimeout: 10_000, hostVerifier: () => true, ...config });
  });
}

/**
 * A client that offers `publicKeyLine` (someone else's public key: it holds no private
 * key) and answers the gateway's PK_OK with random bytes for a signature.
 */
function offerWithBogusSignature(port: number, localAddress: string, user: string, publicKeyLine: string): Promise<Outcome> {
  const key = parseSshKey(publicKeyLine);
  if (key instanceof Error) throw key;
  class BogusSigner extends ssh2.BaseAgent {
    getIdentities(cb: (error: Error | null, keys?: ssh2.ParsedKey[]) => void): void {
      cb(null, [key as ssh2.ParsedKey]);
    }
    sign(_key: unknown, _data: Buffer, ...rest: unknown[]): void {
      const cb = rest[rest.length - 1] as (error: Error | null, signature?: Buffer) => void;
      cb(null, randomBytes(64));
    }
  }
  return connectOutcome({ port, localAddress, username: user, agent: new BogusSigner() });
}

describe('user lock', () => {
  const alicePassword = 'alice has a long password';
  let gateway: Gateway;
  let askpass: Askpass;
  let aliceKey: KeyPair;

  before(async () => {
    askpass = makeAskpass();
    ({ gateway, aliceKey } = await startGatewayWithAlice([
      [['ssh', 'authMethods'], ['publickey', 'password']],
      [['bans'], { maxAuthFailures: 5, findWindow: '10m', banDuration: '30m', neverBan: [] }],
    ]));
    const set = await gateway.jumpgate(['user', 'passwd', 'alice', '--stdin'], { input: `${alicePassword}\n` });
    assert.equal(set.code, 0, describeRun(set));
  }, { timeout: 60_000 });

  after(async () => {
    await gateway?.stop();
  }, { timeout: 30_000 });

  const userLocks = (mark: number): AuditEvent[] => since(gateway, mark, 'ban.add').filter((e) => e.address === 'user:alice');

  test('bogus signatures with alice\'s public key ban the address only; alice logs in from another address', { timeout: 90_000 }, async () => {
    const mark = gateway.auditEvents().length;
    for (let i = 1; i <= 5; i += 1) {
      const outcome = await offerWithBogusSignature(gateway.port, '127.0.0.21', 'alice', aliceKey.publicKey);
      assert.notEqual(outcome, 'logged in', `attempt ${i}: a bogus signature logged in`);
    }
    await gateway.waitForAuditEvent((e, i) => i >= mark && e.type === 'ban.add' && e.address === '127.0.0.21');
    const failures = await settled(gateway, mark, 'auth.failure', 'alice', 5);
    assert.deepEqual(failures.map((e) => e.reason), Array(5).fill('signature invalid'));
    assert.deepEqual(userLocks(mark), [], 'failed public-key signatures locked alice');

    const alice = makeClient(gateway, askpass, { user: 'alice', key: aliceKey.privateKeyPath, bind: '127.0.0.22' });
    assertLoggedIn(await alice.run(['gate']), 'alice with her key from 127.0.0.22');
    // The stranger's address stays banned.
    assertProbeBanned(await probe(gateway.port, '127.0.0.21'), '127.0.0.21');
  });

  test('five wrong passwords lock user:alice: her password is refused, her key still logs her in', { timeout: 90_000 }, async () => {
    const mark = gateway.auditEvents().length;
    askpass.setPassword('not alice\'s password');
    for (let i = 1; i <= 5; i += 1) {
      const guesser = makeClient(gateway, askpass, { user: 'alice', preferred: 'password', bind: `127.0.0.${30 + i}` });
      const r = await guesser.run(['gate']);
      assert.equal(r.code, 255, `guess ${i}\n${describeRun(r)}`);
    }
    const lock = await gateway.waitForAuditEvent((e, i) => i >= mark && e.type === 'ban.add' && e.address === 'user:alice');
    assert.equal(lock.user, 'alice');

    const lockedMark = gateway.auditEvents().length;
    askpass.setPassword(alicePassword);
    const withPassword = makeClient(gateway, askpass, { user: 'alice', preferred: 'password', bind: '127.0.0.23' });
    const refused = await withPassword.run(['gate']);
    assert.equal(refused.code, 255, `alice's right password got through her lock\n${describeRun(refused)}`);
    const failures = await settled(gateway, lockedMark, 'auth.failure', 'alice', 1);
    assert.deepEqual(failures.map((e) => e.reason), ['user temporarily locked after repeated failures']);

    const withKey = makeClient(gateway, askpass, { user: 'alice', key: aliceKey.privateKeyPath, bind: '127.0.0.24' });
    assertLoggedIn(await withKey.run(['gate']), 'alice with her key while user:alice is locked');
  });
});

// ---------------------------------------------------------------------------

describe('login names', () => {
  let gateway: Gateway;
  let aliceKey: KeyPair;

  before(async () => {
    ({ gateway, aliceKey } = await startGatewayWithAlice([[['bans', 'neverBan'], ['127.0.0.0/8']]]));
  }, { timeout: 60_000 });

  after(async () => {
    await gateway?.stop();
  }, { timeout: 30_000 });

  test('a name with a control character is a bad login name, audited printably; the same key as alice logs in', { timeout: 30_000 }, async () => {
    const privateKey = fs.readFileSync(aliceKey.privateKeyPath);
    const mark = gateway.auditEvents().length;
    for (const username of ['alice\nforged line', 'alice\u001b[2J', `alice+${'x'.repeat(5_000)}`]) {
      assert.equal(await connectOutcome({ port: gateway.port, username, privateKey }), 'refused', JSON.stringify(username));
    }
    const failures = await settled(gateway, mark, 'auth.failure', undefined, 3);
    assert.deepEqual(failures.map((e) => [e.user, e.reason]), [
      ['alice\\x0aforged line', 'bad login name "alice\\x0aforged line": holds control or formatting character U+000A'],
      ['alice\\x1b[2J', 'bad login name "alice\\x1b[2J": holds control or formatting character U+001B'],
      ['alice', `bad login name "alice+${'x'.repeat(58)}… (5006 characters)": longer than 512 characters`],
    ]);
    assert.equal(since(gateway, mark, 'auth.success').length, 0);

    assert.equal(await connectOutcome({ port: gateway.port, username: 'alice', privateKey }), 'logged in');
  });
});

// ---------------------------------------------------------------------------

describe('pre-auth limits', () => {
  let gateway: Gateway;
  let askpass: Askpass;
  let aliceKey: KeyPair;

  before(async () => {
    askpass = makeAskpass();
    ({ gateway, aliceKey } = await startGatewayWithAlice([
      [['ssh', 'loginGraceTime'], '3s'],
      [['ssh', 'maxStartups'], { total: 100, perSource: 10 }],
    ]));
  }, { timeout: 60_000 });

  after(async () => {
    await gateway?.stop();
  }, { timeout: 30_000 });

  test('300 silent connections from one address do not lock out a user, and are closed after loginGraceTime', { timeout: 60_000 }, async () => {
    interface Silent { socket: net.Socket; connectedAt: number; closedAt: number | null; banner: boolean }
    const silent: Silent[] = [];
    const connected = Array.from(
      { length: 300 },
      () =>
        new Promise<void>((resolve) => {
          const entry: Silent = { socket: net.connect({ host: '127.0.0.1', port: gateway.port, localAddress: '127.0.0.7' }), connectedAt: 0, closedAt: null, banner: false };
          silent.push(entry);
          entry.socket.on('connect', () => {
            entry.connectedAt = Date.now();
            resolve();
          });
          entry.socket.on('data', (chunk: Buffer) => {
            if (chunk.toString('latin1').startsWith('SSH-2.0-')) entry.banner = true;
          });
          entry.socket.on('error', () => {});
          entry.socket.on('close', () => {
            entry.closedAt = Date.now();
            if (entry.connectedAt === 0) entry.connectedAt = entry.closedAt;
            resolve();
          });
        }),
    );
    try {
      await Promise.all(connected);
      const openAtLogin = silent.filter((s) => s.closedAt === null).length;

      const alice = makeClient(gateway, askpass, { user: 'alice', key: aliceKey.privateKeyPath });
      assertLoggedIn(await alice.run(['gate']), 'alice from 127.0.0.1 while 127.0.0.7 holds silent connections');
      assert.ok(openAtLogin > 0, 'no silent connection was open when alice logged in (the test proves nothing)');

      // Every silent connection is closed by the gateway within ~10 s.
      const deadline = Date.now() + 12_000;
      while (silent.some((s) => s.closedAt === null) && Date.now() < deadline) await sleep(100);
      const stillOpen = silent.filter((s) => s.closedAt === null).length;
      assert.equal(stillOpen, 0, `${stillOpen} of 300 silent connections still open 12 s later`);
      const slow = silent.filter((s) => (s.closedAt as number) - s.connectedAt > 10_000).length;
      assert.equal(slow, 0, `${slow} silent connections lasted more than 10 s`);
      // Those that got the banner (admitted pre-auth) were held for the grace time, not longer.
      for (const s of silent.filter((x) => x.banner)) {
        const held = (s.closedAt as number) - s.connectedAt;
        assert.ok(held >= 2_500 && held <= 10_000, `an admitted silent connection was closed after ${held} ms (loginGraceTime 3s)`);
      }
      assert.ok(gateway.isAlive(), `gateway died\n${gateway.stderrText()}`);
    } finally {
      for (const s of silent) s.socket.destroy();
    }
  });
});

// ---------------------------------------------------------------------------

describe('port knocking', () => {
  let gateway: Gateway;
  let askpass: Askpass;
  let aliceKey: KeyPair;
  const sequence: number[] = [];

  before(async () => {
    askpass = makeAskpass();
    while (sequence.length < 3) {
      const p = await freePort('127.0.0.1');
      if (!sequence.includes(p)) sequence.push(p);
    }
    ({ gateway, aliceKey } = await startGatewayWithAlice([[['knock'], { enabled: true, sequence, window: '10s', openFor: '30s' }]]));
  }, { timeout: 60_000 });

  after(async () => {
    await gateway?.stop();
  }, { timeout: 30_000 });

  test('the SSH port opens only to an address that knocked the sequence in order', { timeout: 60_000 }, async () => {
    const alice = makeClient(gateway, askpass, { user: 'alice', key: aliceKey.privateKeyPath });
    assertProbeRefused(await probe(gateway.port, '127.0.0.1'), 'before knocking');
    assertClosedBeforeBanner(await alice.run(['gate']), 'alice before knocking');

    // The right ports in the wrong order open nothing.
    for (const p of [sequence[1], sequence[0], sequence[2]]) await knockOn(p, '127.0.0.9');
    assertProbeRefused(await probe(gateway.port, '127.0.0.9'), 'after knocking out of order');

    for (const p of sequence) await knockOn(p, '127.0.0.1');
    assertLoggedIn(await alice.run(['gate']), 'alice after knocking');

    // Only the address that knocked.
    assertProbeRefused(await probe(gateway.port, '127.0.0.8'), '127.0.0.8, which did not knock');
    const elsewhere = makeClient(gateway, askpass, { user: 'alice', key: aliceKey.privateKeyPath, bind: '127.0.0.8' });
    assertClosedBeforeBanner(await elsewhere.run(['gate']), 'alice from 127.0.0.8 without knocking');
  });
});

// ---------------------------------------------------------------------------

describe('algorithms', () => {
  let gateway: Gateway;
  let askpass: Askpass;
  let alice: Client;

  before(async () => {
    askpass = makeAskpass();
    const started = await startGatewayWithAlice([]);
    gateway = started.gateway;
    alice = makeClient(gateway, askpass, { user: 'alice', key: started.aliceKey.privateKeyPath });
  }, { timeout: 60_000 });

  after(async () => {
    await gateway?.stop();
  }, { timeout: 30_000 });

  const legacy: Array<{ offer: string; options: string[]; what: string }> = [
    { offer: 'aes128-cbc', options: ['Ciphers=aes128-cbc'], what: 'cipher' },
    { offer: 'diffie-hellman-group1-sha1', options: ['KexAlgorithms=diffie-hellman-group1-sha1'], what: 'key exchange method' },
    // A MAC is negotiated only with a non-AEAD cipher.
    { offer: 'hmac-sha1', options: ['Ciphers=aes128-ctr', 'MACs=hmac-sha1'], what: 'MAC' },
    // RSA host keys sign with rsa-sha2-256/512 only: an ssh-rsa (SHA-1) signature is not modern (SPEC §5).
    { offer: 'ssh-rsa (SHA-1) host key signatures', options: ['HostKeyAlgorithms=ssh-rsa'], what: 'host key type' },
  ];
  for (const { offer, options, what } of legacy) {
    test(`a client offering only ${offer} cannot connect`, { timeout: 30_000 }, async () => {
      const mark = gateway.auditEvents().length;
      // OpenSSH reports "Unable to negotiate ..." at LogLevel INFO.
      const r = await alice.run(['-o', 'LogLevel=INFO', ...options.flatMap((o) => ['-o', o]), 'gate']);
      assert.equal(r.code, 255, describeRun(r));
      assert.match(r.stderr, new RegExp(`no matching ${what}`), describeRun(r));
      assert.equal(since(gateway, mark, 'auth.success').length, 0);
    });
  }

  test('the default OpenSSH client still connects', { timeout: 30_000 }, async () => {
    assertLoggedIn(await alice.run(['gate']), 'alice with default algorithms');
    assert.ok(gateway.isAlive(), gateway.stderrText());
  });
});
