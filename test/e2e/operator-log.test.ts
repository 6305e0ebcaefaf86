/**
 * What an operator reads and what a locked-out person is told: `serve` logs one info line
 * per connection (address, user, outcome, every value escaped), `--log-level` picks what is
 * logged, a banned client reads why it is refused and how the ban is lifted, and
 * `ssh-config` names the address the gateway really listens on, or `ssh.publicAddress`.
 * Real OpenSSH `ssh` against the built gateway; a raw ssh2 client sends a hostile name.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import ssh2 from 'ssh2';
import YAML from 'yaml';
import { cleanupAll } from '../helpers/cleanup.js';
import { runJumpgate, settingsWith, startGateway, type Gateway } from '../helpers/gateway.js';
import { makeKeyPair, type KeyPair } from '../helpers/keys.js';
import { jumpgateBin, repoRoot } from '../helpers/paths.js';
import { freePort, waitForPort } from '../helpers/ports.js';
import { run, spawnTracked } from '../helpers/processes.js';
import { describeRun, makeSshClient } from '../helpers/ssh-client.js';
import { makeTempDir } from '../helpers/tmp.js';

const STRANGER_IP = '127.0.0.31';
const BANNED_IP = '127.0.0.32';
const HOSTILE_IP = '127.0.0.33';
const HOSTILE_USER = 'eve\n2026-01-01T00:00:00.000Z info connection src=10.0.0.1:22 user=root outcome=authenticated\x1b[2J';

const re = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The gateway's log lines matching pattern, waited for. */
function logLine(gateway: Gateway, pattern: RegExp): Promise<string> {
  return until(`a log line matching ${pattern}\n${gateway.stderrText()}`, () => gateway.stderrText().split('\n').find((line) => pattern.test(line)));
}

/** A raw SSH client that offers a key under a login name OpenSSH would refuse to send. */
function hostileLogin(port: number, key: KeyPair): Promise<void> {
  return new Promise((resolve) => {
    const client = new ssh2.Client();
    const done = () => {
      client.removeAllListeners();
      client.on('error', () => {});
      client.end();
      resolve();
    };
    client.on('error', done);
    client.on('close', done);
    client.on('ready', done);
    client.connect({ host: '127.0.0.1', port, localAddress: HOSTILE_IP, username: HOSTILE_USER, privateKey: fs.readFileSync(key.privateKeyPath), readyTimeout: 10_000 });
  });
}

describe('the operator log, bans people can read, and ssh-config', () => {
  let gateway: Gateway;
  let alice: KeyPair;
  let stranger: KeyPair;

  before(async () => {
    gateway = await startGateway({ settings: settingsWith([[['bans'], { maxAuthFailures: 2, findWindow: '10m', banDuration: '30m', neverBan: [] }]]) });
    alice = await makeKeyPair(gateway.workDir, 'alice', 'alice@laptop');
    stranger = await makeKeyPair(gateway.workDir, 'stranger', 'stranger@elsewhere');
    await gateway.apply([
      `kind: User\nname: alice\nroles: [ops]\nkeys:\n  - ${alice.publicKey}\n`,
      'kind: Target\nname: db1\nhost: 10.0.2.5\nlogin: root\n',
      'kind: Role\nname: ops\nallow:\n  - targets: [db1]\n    access: [jump, session]\n',
    ].join('---\n'));
  }, { timeout: 60_000 });

  after(async () => {
    try {
      await gateway?.stop();
    } finally {
      await cleanupAll();
    }
  }, { timeout: 60_000 });

  test('each connection leaves one info line: address, user, outcome, escaped', { timeout: 60_000 }, async () => {
    const aliceClient = makeSshClient({ dir: gateway.workDir, gateUser: 'alice', gatePort: gateway.port, gateKey: alice.privateKeyPath });
    const r = await aliceClient.run(['gate']);
    assert.equal(r.code, 1, describeRun(r));
    assert.match(r.stderr, /there is no shell on the gateway/);
    await logLine(gateway, /^\S+Z info connection src=127\.0\.0\.1:\d+ user=alice outcome=authenticated method=publickey$/);

    const proxied = await aliceClient.run(['-l', 'alice+nosuch', 'gate', 'true']);
    assert.notEqual(proxied.code, 0, describeRun(proxied));
    await logLine(gateway, /^\S+Z info connection src=127\.0\.0\.1:\d+ user=alice outcome=authenticated method=publickey target=nosuch$/);

    const strangerClient = makeSshClient({ dir: gateway.workDir, gateUser: 'alice', gatePort: gateway.port, gateKey: stranger.privateKeyPath, gateConfig: [`BindAddress ${STRANGER_IP}`] });
    const refused = await strangerClient.run(['gate']);
    assert.equal(refused.code, 255, describeRun(refused));
    assert.match(refused.stderr, /Permission denied/);
    await logLine(gateway, new RegExp(`^\\S+Z info connection src=${re(STRANGER_IP)}:\\d+ user=alice outcome="authentication failed" reason="key ${re(stranger.fingerprint)} is not one of alice's keys"$`));

    await hostileLogin(gateway.port, stranger);
    const hostile = await logLine(gateway, /user="eve\\x0a2026/);
    assert.equal(hostile.replace(/^\S+Z /, ''),
      `info connection src=${HOSTILE_IP}:${/src=127\.0\.0\.33:(\d+)/.exec(hostile)![1]}` +
      ' user="eve\\x0a2026-01-01T00:00:00.000Z info connection src=10.0.0.1:22 user=root outcome=authenticated\\x1b[2J"' +
      ' outcome="authentication failed" reason="bad login name \\"eve\\\\x0a2026-01-01T00:00:00.000Z info connection src=10.0.0.1:22 use… (96 characters)\\": holds control or formatting character U+000A"');
    const log = gateway.stderrText();
    assert.doesNotMatch(log, /^2026-01-01T00:00:00\.000Z/m, 'a client forged a log line');
    assert.ok(!log.includes('\x1b'), 'a raw escape reached the log');
  });

  test('a banned client is told until when and how to lift it; the log says how to undo it', { timeout: 90_000 }, async () => {
    const bannedClient = makeSshClient({ dir: gateway.workDir, gateUser: 'alice', gatePort: gateway.port, gateKey: stranger.privateKeyPath, gateConfig: [`BindAddress ${BANNED_IP}`] });
    for (let i = 1; i <= 2; i += 1) {
      const r = await bannedClient.run(['gate']);
      assert.equal(r.code, 255, `attempt ${i}\n${describeRun(r)}`);
    }
    const ban = await gateway.waitForAuditEvent((e) => e.type === 'ban.add' && e.address === BANNED_IP);
    const until = String(ban.until);
    await logLine(gateway, new RegExp(`^\\S+Z warn banned address=${re(BANNED_IP)} until=${re(until)} reason="2 authentication failures" undo="jumpgate unban ${re(BANNED_IP)} \\(addresses in bans.neverBan are never banned\\)"$`));

    // Even with the right key: one line before any SSH banner, which `ssh -v` shows.
    const aliceThere = makeSshClient({ dir: gateway.workDir, gateUser: 'alice', gatePort: gateway.port, gateKey: alice.privateKeyPath, gateConfig: [`BindAddress ${BANNED_IP}`] });
    const refused = await aliceThere.run(['-v', 'gate']);
    assert.equal(refused.code, 255, describeRun(refused));
    assert.ok(refused.stderr.includes(`banner line 0: jumpgate: ${BANNED_IP} is banned until ${until} (an operator can lift it: jumpgate unban ${BANNED_IP})`), describeRun(refused));
    assert.doesNotMatch(refused.stderr, /Remote protocol version/, 'the gateway sent its SSH banner to a banned address');
    await logLine(gateway, new RegExp(`^\\S+Z info connection src=${re(BANNED_IP)}:\\d+ outcome="refused before the banner" why=banned until=${re(until)} undo="jumpgate unban ${re(BANNED_IP)}"$`));

    // Positive control: alice from her own address is served.
    const aliceHere = makeSshClient({ dir: gateway.workDir, gateUser: 'alice', gatePort: gateway.port, gateKey: alice.privateKeyPath });
    const served = await aliceHere.run(['gate']);
    assert.equal(served.code, 1, describeRun(served));
    assert.match(served.stderr, /there is no shell on the gateway/);

    const list = await gateway.jumpgate(['bans']);
    assert.equal(list.code, 0, describeRun(list));
    assert.match(list.stdout, new RegExp(`^${re(BANNED_IP)} +${re(until)} +2 authentication failures$`, 'm'), describeRun(list));
    assert.match(list.stdout, /^lift one with: jumpgate unban ADDRESS \(bans\.neverBan exempts addresses for good\)$/m, describeRun(list));

    const unban = await gateway.jumpgate(['unban', BANNED_IP]);
    assert.equal(unban.code, 0, describeRun(unban));
    assert.equal(unban.stdout, `${BANNED_IP} unbanned\n`);
    const after = await aliceThere.run(['gate']);
    assert.equal(after.code, 1, describeRun(after));
    assert.match(after.stderr, /there is no shell on the gateway/);
    const none = await gateway.jumpgate(['bans']);
    assert.equal(none.stdout, 'no bans\n', describeRun(none));
  });

  test('ssh-config names the address the gateway listens on, or ssh.publicAddress', { timeout: 60_000 }, async () => {
    const listened = await gateway.jumpgate(['ssh-config', 'alice']);
    assert.equal(listened.code, 0, describeRun(listened));
    assert.equal(listened.stdout, [
      `# jumpgate: targets alice may reach through 127.0.0.1:${gateway.port}`, '',
      'Host db1', '  HostName db1', '  User root', `  ProxyJump alice@127.0.0.1:${gateway.port}`, '',
    ].join('\n'));

    const settingsFile = path.join(gateway.dataDir, 'jumpgate.yaml');
    const doc = YAML.parseDocument(fs.readFileSync(settingsFile, 'utf8'));
    doc.setIn(['ssh', 'publicAddress'], 'gate.example.net:22');
    fs.writeFileSync(settingsFile, String(doc), { mode: 0o600 });
    const published = await gateway.jumpgate(['ssh-config', 'alice']);
    assert.equal(published.code, 0, describeRun(published));
    assert.match(published.stdout, /^# jumpgate: targets alice may reach through gate\.example\.net:22$/m);
    assert.match(published.stdout, /^ {2}ProxyJump alice@gate\.example\.net:22$/m);

    // The help the gateway prints to people names it too (once the gateway has read it).
    await gateway.restart();
    const aliceClient = makeSshClient({ dir: gateway.workDir, gateUser: 'alice', gatePort: gateway.port, gateKey: alice.privateKeyPath });
    const help = await aliceClient.run(['gate']);
    assert.equal(help.code, 1, describeRun(help));
    assert.match(help.stderr, /^ {2}ssh -p 22 alice\+db1@gate\.example\.net$/m, describeRun(help));
    assert.match(help.stderr, /^ {2}ssh -J alice@gate\.example\.net:22 LOGIN@db1$/m, describeRun(help));

    const given = await gateway.jumpgate(['ssh-config', 'alice', '--gate', 'bastion.example.org:2200']);
    assert.match(given.stdout, /^ {2}ProxyJump alice@bastion\.example\.org:2200$/m, describeRun(given));
    const bad = await gateway.jumpgate(['ssh-config', 'alice', '--gate', 'bastion.example.org']);
    assert.equal(bad.code, 2, describeRun(bad));
    assert.equal(bad.stderr, 'jumpgate: --gate must be HOST:PORT, not bastion.example.org\n');
  });
});

describe('serve --log-level', () => {
  after(async () => {
    await cleanupAll();
  }, { timeout: 30_000 });

  test('an unknown level is bad usage; warn leaves out the per-connection lines', { timeout: 60_000 }, async () => {
    const dataDir = path.join(makeTempDir('log-level'), 'data');
    const loud = await runJumpgate(['serve', '--log-level', 'loud', '--data', dataDir]);
    assert.equal(loud.code, 2, describeRun(loud));
    assert.match(loud.stderr, /^error: option '--log-level <level>' argument 'loud' is invalid\. Allowed choices are debug, info, warn, error\.$/m);
    assert.equal(fs.existsSync(dataDir), false, 'serve started despite bad usage');

    const port = await freePort();
    const serve = spawnTracked(process.execPath, [jumpgateBin, 'serve', '--log-level', 'warn', '--listen', `127.0.0.1:${port}`, '--http', '', '--data', dataDir], { cwd: repoRoot, keepStdinOpen: true });
    await waitForPort('127.0.0.1', port, 20_000, () => serve.isAlive());
    const key = await makeKeyPair(path.dirname(dataDir), 'alice', 'alice@laptop');
    const add = await runJumpgate(['user', 'add', 'alice', '--key', key.publicKeyPath, '--data', dataDir]);
    assert.equal(add.code, 0, describeRun(add));
    const client = makeSshClient({ dir: path.dirname(dataDir), gateUser: 'alice', gatePort: port, gateKey: key.privateKeyPath });
    const r = await client.run(['gate']);
    assert.equal(r.code, 1, `alice logs in\n${describeRun(r)}`);
    serve.child.kill('SIGTERM');
    const exit = await serve.exited;
    assert.equal(exit.code, 0, describeRun(exit));
    assert.doesNotMatch(exit.stderr, / info /, `warn logged info lines:\n${exit.stderr}`);
    assert.doesNotMatch(exit.stderr, /connection/, exit.stderr);
  });
});

describe('the launcher', () => {
  test('an older Node.js is told what is needed instead of failing deep inside', { timeout: 30_000 }, async () => {
    // Debian 12's own nodejs is 18: pretend to be it.
    const preload = 'data:text/javascript,Object.defineProperty(process.versions,"node",{value:"18.19.0"})';
    const old = await run(process.execPath, ['--import', preload, jumpgateBin, '--help'], { cwd: repoRoot, timeoutMs: 20_000 });
    assert.equal(old.code, 2, describeRun(old));
    assert.equal(old.stderr, 'jumpgate: needs Node.js 20.19 or later, this is 18.19.0 (see "First steps" in README.md)\n');
    assert.equal(old.stdout, '');
    const current = await run(process.execPath, [jumpgateBin, '--help'], { cwd: repoRoot, timeoutMs: 20_000 });
    assert.equal(current.code, 0, describeRun(current));
    assert.match(current.stdout, /^Usage: jumpgate /);
  });
});
