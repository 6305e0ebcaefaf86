/**
 * A newcomer's first hour: what `serve` prints works when followed in order, and every
 * mistake a new operator makes gets a message that names the file, flag or setting and
 * says what to do, with the exit status of SPEC §4 (1 refused or failed, 2 bad usage).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runJumpgate, settingsWith, startGateway, type Gateway } from '../helpers/gateway.js';
import { makeKeyPair, type KeyPair } from '../helpers/keys.js';
import { freePort } from '../helpers/ports.js';
import { run, type RunResult } from '../helpers/processes.js';
import { startSshd, type Sshd } from '../helpers/sshd.js';
import { describeRun, makeSshClient, quietSshOptions } from '../helpers/ssh-client.js';
import { cleanupAll } from '../helpers/cleanup.js';
import { ACCESS_KINDS, RuleSchema } from '../../src/domain/resources.js';
import { makeTempDir } from '../helpers/tmp.js';

/** `jumpgate ARGS --data DIR`, as a person types it. */
function cli(dataDir: string, args: readonly string[], input?: string): Promise<RunResult> {
  return runJumpgate([...args, '--data', dataDir], input === undefined ? {} : { input });
}

async function ok(dataDir: string, args: readonly string[], input?: string): Promise<RunResult> {
  const r = await cli(dataDir, args, input);
  assert.equal(r.code, 0, `jumpgate ${args.join(' ')}\n${describeRun(r)}`);
  return r;
}

/** Exactly this one line on stderr, and this exit status. */
function assertRefusal(r: RunResult, code: number, line: string): void {
  assert.equal(r.code, code, describeRun(r));
  assert.equal(r.stderr, `${line}\n`, describeRun(r));
}

async function freshDataDir(): Promise<{ dir: string; work: string }> {
  const work = makeTempDir('newcomer');
  const dir = path.join(work, 'data');
  await ok(dir, ['init']);
  return { dir, work };
}

/** Splits a printed command line as a POSIX shell would (words, single quotes). */
function shellWords(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]);
}

after(async () => {
  await cleanupAll();
});

describe('the next steps that serve prints, followed in order', () => {
  let gateway: Gateway;
  let db1: Sshd;
  let alice: KeyPair;
  let gatewayKey: KeyPair;

  before(async () => {
    gateway = await startGateway();
    alice = await makeKeyPair(gateway.workDir, 'alice');
    gatewayKey = await makeKeyPair(gateway.workDir, 'db1-key');
    db1 = await startSshd({ authorizedKeys: [alice.publicKey, gatewayKey.publicKey] });
  }, { timeout: 60_000 });

  after(async () => {
    await Promise.allSettled([gateway?.stop(), db1?.stop()]);
  }, { timeout: 30_000 });

  /** The printed command of a step, with the example's values made real for this test. */
  const step = (pattern: RegExp): string[] => {
    const line = gateway.stderrText().split('\n').find((l) => pattern.test(l));
    assert.ok(line, `no step matching ${pattern} in:\n${gateway.stderrText()}`);
    const words = shellWords(line.replace(pattern, ''));
    const at = words.findIndex((w) => w.endsWith('jumpgate'));
    assert.ok(at >= 0, `the step does not run jumpgate: ${line}`);
    const real: Record<string, string> = {
      '~/.ssh/id_ed25519.pub': alice.publicKeyPath, '10.0.2.5': db1.host, root: db1.login, KEY: gatewayKey.privateKeyPath,
    };
    const args = words.slice(at + 1).map((w) => real[w] ?? w);
    // The example target listens on port 22; this one on a port of its own.
    return args[0] === 'target' && args[1] === 'add' ? [...args, '--port', String(db1.port)] : args;
  };

  test('role first, then the user, then the target: each is created', { timeout: 60_000 }, async () => {
    const text = gateway.stderrText();
    assert.ok(text.indexOf('1. a role:') < text.indexOf('2. yourself:'), `the role must come before the user that names it:\n${text}`);
    assert.match(text, /role add admins --allow 'targets=\*,access=jump\+session\+sftp'/);
    for (const [pattern, created] of [[/^.*1\. a role:\s*/, 'role/admins created'], [/^.*2\. yourself:\s*/, 'user/alice created'], [/^.*3\. a target:\s*/, 'target/db1 created']] as const) {
      const r = await runJumpgate(step(pattern));
      assert.equal(r.code, 0, describeRun(r));
      assert.equal(r.stdout, `${created}\n`);
    }
  });

  test('ssh -J as printed reaches the target', { timeout: 60_000 }, async () => {
    const line = gateway.stderrText().split('\n').find((l) => /4\. connect:/.test(l));
    assert.match(line ?? '', new RegExp(`ssh -J alice@THIS-HOST:${gateway.port} root@db1$`));
    const client = makeSshClient({ dir: gateway.workDir, gateUser: 'alice', gatePort: gateway.port, gateKey: alice.privateKeyPath });
    const r = await client.run(['-J', `alice@${gateway.host}:${gateway.port}`, `${db1.login}@db1`, 'echo reached-db1'], { timeoutMs: 30_000 });
    assert.equal(r.code, 0, describeRun(r));
    assert.equal(r.stdout, 'reached-db1\n');
  });

  test('with the credential steps, a proxied session and scp work too', { timeout: 60_000 }, async () => {
    for (const pattern of [/^.*credential set/, /^.*target set/]) {
      const line = gateway.stderrText().split('\n').find((l) => pattern.test(l));
      assert.ok(line, `no ${pattern} step`);
      const words = shellWords(line.trim());
      const args = words.slice(1).map((w) => (w === 'KEY' ? gatewayKey.privateKeyPath : w));
      const r = await runJumpgate(args);
      assert.equal(r.code, 0, describeRun(r));
    }
    const session = await run('ssh', [...quietSshOptions(alice.privateKeyPath), '-p', String(gateway.port), `alice+db1@${gateway.host}`, 'echo proxied'], { timeoutMs: 30_000 });
    assert.equal(session.code, 0, describeRun(session));
    assert.equal(session.stdout, 'proxied\n');
    const file = path.join(gateway.workDir, 'hello.txt');
    fs.writeFileSync(file, 'hello through the gateway\n');
    const target = path.join(makeTempDir('scp-target'), 'hello.txt');
    const scp = await run('scp', [...quietSshOptions(alice.privateKeyPath), '-P', String(gateway.port), file, `alice+db1@${gateway.host}:${target}`], { timeoutMs: 30_000 });
    assert.equal(scp.code, 0, describeRun(scp));
    assert.equal(fs.readFileSync(target, 'utf8'), 'hello through the gateway\n');
  });
});

describe('the next steps name ssh.publicAddress when it is set', () => {
  let gateway: Gateway;
  before(async () => {
    gateway = await startGateway({ settings: settingsWith([[['ssh', 'publicAddress'], 'gate.example.com:22']]) });
  }, { timeout: 60_000 });
  after(async () => {
    await gateway?.stop();
  }, { timeout: 30_000 });

  test('ssh -J and the proxied session use the public address, not the listener', { timeout: 30_000 }, async () => {
    // The steps follow the listener's start lines.
    const deadline = Date.now() + 15_000;
    while (!gateway.stderrText().includes('4. connect:') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    const text = gateway.stderrText();
    assert.match(text, /4\. connect: +ssh -J alice@gate\.example\.com:22 root@db1$/m);
    assert.match(text, /\(ssh -p 22 alice\+db1@gate\.example\.com\)/);
    assert.ok(!text.includes('THIS-HOST'), text);
  });
});

describe('quick edits: role add/set, user set, target set', () => {
  let dir = '';
  let work = '';
  let key: KeyPair;
  before(async () => {
    ({ dir, work } = await freshDataDir());
    key = await makeKeyPair(work, 'me');
  }, { timeout: 30_000 });

  test('a user naming a role that does not exist: the problem alone, no file:line prefix', { timeout: 30_000 }, async () => {
    assertRefusal(await cli(dir, ['user', 'add', 'me', '--key', key.publicKeyPath, '--role', 'admins']), 2, 'jumpgate: User me: role admins does not exist (create it first: jumpgate role add admins --allow …)');
    // Positive control: with the role first, the same command works.
    assert.equal((await ok(dir, ['role', 'add', 'admins', '--allow', 'targets=*,access=jump+session+sftp'])).stdout, 'role/admins created\n');
    assert.equal((await ok(dir, ['user', 'add', 'me', '--key', key.publicKeyPath, '--role', 'admins'])).stdout, 'user/me created\n');
  });

  test('role add turns each --allow into one rule, and role set replaces them', { timeout: 30_000 }, async () => {
    await ok(dir, ['role', 'add', 'dba', '--allow', 'targets=db1+db2,access=jump+session,ports=22+5432,logins=root', '--allow', 'labels=env:prod,access=forward,mfa']);
    const shown = JSON.parse((await ok(dir, ['get', 'roles', 'dba', '-o', 'json'])).stdout) as { allow: Array<Record<string, unknown>> };
    assert.deepEqual(shown.allow.map((r) => [r.targets, r.labels, r.access, r.ports, r.logins, r.mfa]), [
      [['db1', 'db2'], undefined, ['jump', 'session'], [22, 5432], ['root'], false],
      [undefined, { env: 'prod' }, ['forward'], undefined, undefined, true],
    ]);
    assert.equal((await ok(dir, ['role', 'set', 'dba', '--allow', 'targets=db1,access=jump'])).stdout, 'role/dba updated\n');
    const replaced = JSON.parse((await ok(dir, ['get', 'roles', 'dba', '-o', 'json'])).stdout) as { allow: unknown[] };
    assert.equal(replaced.allow.length, 1);
  });

  test('role add --admin gives holders the console level; role set changes it; an unknown level is refused', { timeout: 30_000 }, async () => {
    await ok(dir, ['role', 'add', 'auditors', '--allow', 'targets=db1,access=jump', '--admin', 'read']);
    const admin = async () => (JSON.parse((await ok(dir, ['get', 'roles', 'auditors', '-o', 'json'])).stdout) as { admin?: string }).admin;
    assert.equal(await admin(), 'read');
    assert.equal((await ok(dir, ['role', 'set', 'auditors', '--admin', 'write'])).stdout, 'role/auditors updated\n');
    assert.equal(await admin(), 'write');
    assertRefusal(await cli(dir, ['role', 'set', 'auditors', '--admin', 'root']), 2, 'jumpgate: --admin must be none, read or write, not root');
    assert.equal(await admin(), 'write');
  });

  test('role add refuses a misspelt field or access kind, naming what is valid', { timeout: 30_000 }, async () => {
    assertRefusal(await cli(dir, ['role', 'add', 'x', '--allow', 'targets=db1,acess=jump']), 2,
      `jumpgate: --allow targets=db1,acess=jump: unknown field acess; the fields are ${Object.keys(RuleSchema.shape).join(', ')}`);
    assertRefusal(await cli(dir, ['role', 'add', 'x', '--allow', 'targets=db1,access=jump+telnet']), 2,
      `jumpgate: role x: allow[0].access[1] must be one of ${ACCESS_KINDS.join(', ')}`);
    assertRefusal(await cli(dir, ['role', 'add', 'x']), 2, 'jumpgate: --allow is required: at least one rule, such as --allow \'targets=*,access=jump+session+sftp\'');
  });

  test('target add on an existing target points at target set, which changes one field', { timeout: 30_000 }, async () => {
    assert.equal((await ok(dir, ['target', 'add', 't1', '--host', '127.0.0.1', '--login', 'root'])).stdout, 'target/t1 created\n');
    assertRefusal(await cli(dir, ['target', 'add', 't1', '--host', '127.0.0.2']), 1, 'jumpgate: target t1 already exists; change it with: jumpgate target set t1 …');
    assert.equal((await ok(dir, ['target', 'set', 't1', '--port', '2200'])).stdout, 'target/t1 updated\n');
    await ok(dir, ['target', 'set', 't1', '--login', '']);
    const t1 = JSON.parse((await ok(dir, ['get', 'targets', 't1', '-o', 'json'])).stdout) as Record<string, unknown>;
    assert.deepEqual([t1.host, t1.port, t1.login], ['127.0.0.1', 2200, undefined]);
    assertRefusal(await cli(dir, ['target', 'set', 'nosuch', '--port', '22']), 1, 'jumpgate: no target named nosuch; create it with: jumpgate target add nosuch …');
  });

  test('user set adds and removes keys, replaces roles, disables and enables', { timeout: 30_000 }, async () => {
    const second = await makeKeyPair(work, 'second');
    await ok(dir, ['user', 'set', 'me', '--add-key', second.publicKeyPath, '--role', 'dba', '--disable']);
    let me = JSON.parse((await ok(dir, ['get', 'users', 'me', '-o', 'json'])).stdout) as { keys: string[]; roles: string[]; disabled: boolean };
    assert.deepEqual([me.keys.length, me.roles, me.disabled], [2, ['dba'], true]);
    await ok(dir, ['user', 'set', 'me', '--remove-key', key.fingerprint, '--enable']);
    me = JSON.parse((await ok(dir, ['get', 'users', 'me', '-o', 'json'])).stdout) as typeof me;
    assert.deepEqual([me.keys, me.disabled], [[second.publicKey], false]);
    assertRefusal(await cli(dir, ['user', 'set', 'me', '--remove-key', 'SHA256:nosuch']), 2, `jumpgate: user me has no key SHA256:nosuch; its keys: ${second.fingerprint}`);
  });

  test('deleting a role that users hold, or a credential that targets use, is refused naming them', { timeout: 30_000 }, async () => {
    await ok(dir, ['credential', 'set', 'k1', '--type', 'password'], 'secret password\n');
    await ok(dir, ['target', 'set', 't1', '--credential', 'k1']);
    assertRefusal(await cli(dir, ['delete', 'role', 'dba']), 1, 'jumpgate: role dba is held by user me; take it from them first (jumpgate user set USER --role …)');
    assertRefusal(await cli(dir, ['delete', 'credential', 'k1']), 1, 'jumpgate: credential k1 is used by target t1; change their credential first (jumpgate target set TARGET --credential …)');
    // Once nothing names them, they go.
    await ok(dir, ['user', 'set', 'me', '--role', 'admins']);
    await ok(dir, ['target', 'set', 't1', '--credential', '']);
    assert.equal((await ok(dir, ['delete', 'role', 'dba'])).stdout, 'role/dba deleted\n');
    assert.equal((await ok(dir, ['delete', 'credential', 'k1'])).stdout, 'credential/k1 deleted\n');
  });
});

describe('user add --key mistakes', () => {
  let dir = '';
  let work = '';
  before(async () => {
    ({ dir, work } = await freshDataDir());
    await ok(dir, ['role', 'add', 'ops', '--allow', 'targets=*,access=jump']);
  }, { timeout: 30_000 });

  test('a private key is refused once, naming the public file to use', { timeout: 30_000 }, async () => {
    const key = await makeKeyPair(work, 'bob');
    assertRefusal(await cli(dir, ['user', 'add', 'bob', '--key', key.privateKeyPath]), 2,
      `jumpgate: --key ${key.privateKeyPath} is a private key; give its public half instead (use --key ${key.publicKeyPath})`);
    assert.equal((await ok(dir, ['user', 'add', 'bob', '--key', key.publicKeyPath, '--role', 'ops'])).stdout, 'user/bob created\n');
  });

  test('a file that is no key names its first bad line; a missing file says so', { timeout: 30_000 }, async () => {
    const bad = path.join(work, 'notes.txt');
    fs.writeFileSync(bad, '# my key\nhello world\nmore\n');
    assertRefusal(await cli(dir, ['user', 'add', 'carl', '--key', bad]), 2, `jumpgate: --key ${bad}: line 2 is not an OpenSSH public key (type, base64, optional comment)`);
    assertRefusal(await cli(dir, ['user', 'add', 'carl', '--key', '/nonexistent.pub']), 2, 'jumpgate: --key /nonexistent.pub: cannot read it: no such file');
    assertRefusal(await cli(dir, ['apply', '-f', '/nonexistent.yaml']), 2, 'jumpgate: -f /nonexistent.yaml: cannot read it: no such file');
  });

  test('a user without a key is created with a note that they cannot log in yet', { timeout: 30_000 }, async () => {
    const r = await ok(dir, ['user', 'add', 'dan']);
    assert.equal(r.stdout, 'user/dan created\n');
    assert.equal(r.stderr, 'jumpgate: note: dan has no key yet and cannot log in; add one with: jumpgate user set dan --add-key FILE.pub\n');
  });
});

describe('serve start-up problems name the setting or flag', () => {
  test('--listen or --http without a port is bad usage (exit 2), before anything is created', { timeout: 30_000 }, async () => {
    const dir = path.join(makeTempDir('newcomer'), 'data');
    assertRefusal(await cli(dir, ['serve', '--listen', '127.0.0.1']), 2, 'jumpgate: --listen must be HOST:PORT (such as 0.0.0.0:2222 or [::]:2222), not 127.0.0.1');
    assertRefusal(await cli(dir, ['serve', '--http', '127.0.0.1']), 2, 'jumpgate: --http must be HOST:PORT (such as 127.0.0.1:8022), or "" to disable it, not 127.0.0.1');
    assert.equal(fs.existsSync(dir), false);
  });

  test('a busy port names the address and --listen, and serve exits 1', { timeout: 60_000 }, async () => {
    const { dir } = await freshDataDir();
    const port = await freePort();
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(port, '127.0.0.1', resolve));
    try {
      const r = await runJumpgate(['serve', '--data', dir, '--listen', `127.0.0.1:${port}`, '--http', ''], { timeoutMs: 30_000 });
      assert.equal(r.code, 1, describeRun(r));
      assert.match(r.stderr, new RegExp(`^jumpgate: cannot listen on 127\\.0\\.0\\.1:${port} \\(--listen\\): address already in use \\(another process listens there\\); choose another address with --listen HOST:PORT or ssh\\.listen in jumpgate\\.yaml$`, 'm'), describeRun(r));
    } finally {
      busy.close();
    }
  });

  test('a missing host key names ssh.hostKeys and the file (exit 2)', { timeout: 30_000 }, async () => {
    const { dir } = await freshDataDir();
    const file = path.join(dir, 'jumpgate.yaml');
    fs.writeFileSync(file, settingsWith([[['ssh', 'hostKeys'], ['host_keys/nosuch_key']]])(fs.readFileSync(file, 'utf8')));
    const r = await runJumpgate(['serve', '--data', dir, '--listen', `127.0.0.1:${await freePort()}`, '--http', ''], { timeoutMs: 30_000 });
    assert.equal(r.code, 2, describeRun(r));
    assert.match(r.stderr, new RegExp(`^jumpgate: ssh\\.hostKeys: cannot use host_keys/nosuch_key \\(${dir}/host_keys/nosuch_key\\): no such file; create it with: jumpgate init, or correct ssh\\.hostKeys in jumpgate\\.yaml$`, 'm'), describeRun(r));
  });

  test('a missing vault key is a warning at start naming what will fail', { timeout: 60_000 }, async () => {
    const gateway = await startGateway({ settings: settingsWith([[['vault', 'keyFile'], 'elsewhere.key']]) });
    try {
      assert.match(gateway.stderrText(), new RegExp(`warn no vault key: ${gateway.dataDir}/elsewhere\\.key is missing and JUMPGATE_VAULT_KEY is not set; targets with a stored credential and TOTP second factors will fail until it is restored \\(jumpgate doctor says more\\)`));
    } finally {
      await gateway.stop();
    }
  });
});

describe('a lost vault key', () => {
  test('init makes a new one only while nothing is sealed; doctor and target test name the problem', { timeout: 60_000 }, async () => {
    const { dir } = await freshDataDir();
    const keyFile = path.join(dir, 'vault.key');
    fs.rmSync(keyFile);
    // Nothing sealed yet: init makes a new key, and says so.
    const init = await ok(dir, ['init']);
    assert.match(init.stdout, new RegExp(`^  created ${keyFile}$`, 'm'), describeRun(init));

    await ok(dir, ['credential', 'set', 'k1', '--type', 'password'], 'secret password\n');
    await ok(dir, ['target', 'add', 't1', '--host', '127.0.0.1', '--port', String(await freePort()), '--login', 'root', '--credential', 'k1']);
    const saved = fs.readFileSync(keyFile);
    fs.rmSync(keyFile);
    const lost = await cli(dir, ['init']);
    assert.equal(lost.code, 1, describeRun(lost));
    assert.match(lost.stderr, new RegExp(`^jumpgate: the vault key ${keyFile} is missing, and 1 secret\\(s\\) are sealed under key [0-9a-f]{8} \\(credential k1\\); a new key could not open them: restore the file from a backup, or set JUMPGATE_VAULT_KEY\n$`));
    assert.equal(fs.existsSync(keyFile), false, 'init made a key that cannot open the sealed secrets');

    const doctor = await cli(dir, ['doctor']);
    assert.equal(doctor.code, 1, describeRun(doctor));
    assert.match(doctor.stdout, /^fail {2}the vault key .* is missing, and 1 secret\(s\) are sealed/m);
    assert.doesNotMatch(doctor.stdout, /run: jumpgate init/);

    assertRefusal(await cli(dir, ['target', 'test', 't1']), 1,
      `jumpgate: cannot log into t1 with credential k1: no vault key: ${keyFile} is missing and JUMPGATE_VAULT_KEY is not set (see: jumpgate doctor)`);
    // Restored, the same checks pass.
    fs.writeFileSync(keyFile, saved, { mode: 0o600 });
    const healthy = await cli(dir, ['doctor']);
    assert.match(healthy.stdout, /^ok {4}vault key opens all 1 sealed secret\(s\)$/m, describeRun(healthy));
  });
});

describe('small things a newcomer notices', () => {
  let dir = '';
  before(async () => {
    ({ dir } = await freshDataDir());
  }, { timeout: 30_000 });

  test('audit --type with a typo is bad usage and suggests the type; a right one lists', { timeout: 30_000 }, async () => {
    const typo = await cli(dir, ['audit', '--type', 'sesion']);
    assert.equal(typo.code, 2, describeRun(typo));
    assert.match(typo.stderr, /^jumpgate: --type sesion: unknown event type \(did you mean session\?\); the types are auth\.success, /);
    await ok(dir, ['role', 'add', 'r', '--allow', 'targets=*,access=jump']);
    const right = await ok(dir, ['audit', '--type', 'config']);
    assert.match(right.stdout, /config\.change .* kind=Role name=r/);
  });

  test('doctor names each file it checks, once', { timeout: 30_000 }, async () => {
    const r = await ok(dir, ['doctor']);
    assert.match(r.stdout, /^ok {4}host key host_keys\/ssh_host_ed25519_key is private \(600\)$/m);
    assert.match(r.stdout, /^ok {4}host key host_keys\/ssh_host_rsa_key is private \(600\)$/m);
    assert.match(r.stdout, /^ok {4}vault key vault\.key is private \(600\)$/m);
    assert.match(r.stdout, /^ok {4}every role, credential and jump host named by a resource exists$/m);
  });

  test('doctor warns when jumpgate runs as root', { timeout: 30_000 }, async () => {
    const r = await ok(dir, ['doctor']);
    if (process.getuid?.() === 0) {
      assert.match(r.stdout, /^warn {2}jumpgate runs as root here\n {6}fix: run jumpgate as an unprivileged user that owns the data dir/m);
    } else {
      assert.match(r.stdout, /^ok {4}jumpgate does not run as root$/m);
    }
  });

  test('target test reports an unreachable target once, and exits 1', { timeout: 30_000 }, async () => {
    const port = await freePort();
    await ok(dir, ['target', 'add', 'gone', '--host', '127.0.0.1', '--port', String(port)]);
    const r = await cli(dir, ['target', 'test', 'gone']);
    assert.equal(r.code, 1, describeRun(r));
    assert.equal(r.stdout, `FAIL  gone             ${`127.0.0.1:${port}`.padEnd(24)} connection refused\n`);
    assert.equal(r.stderr, '');
  });

  test('user totp: no silent replacement, and no colour codes in a file', { timeout: 30_000 }, async () => {
    await ok(dir, ['user', 'add', 'erin']);
    const first = await ok(dir, ['user', 'totp', 'erin']);
    assert.match(first.stdout, /[█▀▄]{4}/, 'no QR code');
    assert.doesNotMatch(first.stdout, /\x1b/, 'terminal colour codes in piped output');
    assertRefusal(await cli(dir, ['user', 'totp', 'erin']), 1,
      'jumpgate: erin has a second factor already; enrolling again replaces it and their authenticator entry stops working: jumpgate user totp erin --replace');
    const again = await ok(dir, ['user', 'totp', 'erin', '--replace']);
    assert.notEqual(/secret=([A-Z2-7]+)/.exec(again.stdout)?.[1], /secret=([A-Z2-7]+)/.exec(first.stdout)?.[1]);
  });

  test('jumpgate.yaml as init writes it promises no admin API', { timeout: 30_000 }, async () => {
    const text = fs.readFileSync(path.join(dir, 'jumpgate.yaml'), 'utf8');
    assert.doesNotMatch(text, /admin API and/);
    assert.match(text, /audit-<time>-<n>\.log/);
  });
});
