/**
 * Proxied sessions (SPEC §2.2): `ssh alice+db1@gate CMD` runs CMD on db1 as the
 * target's login with the credential the gateway holds. alice's own key opens
 * only the gateway; the targets trust only the stored credential.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { settingsWith, type AuditEvent } from '../helpers/gateway.js';
import { makeKeyPair } from '../helpers/keys.js';
import { run, spawnTracked, type RunResult } from '../helpers/processes.js';
import { describeRun, type SshClient } from '../helpers/ssh-client.js';
import { osLogin, startSshd, type Sshd } from '../helpers/sshd.js';
import { suiteFixture } from '../helpers/suite-fixture.js';
import { sha256 } from '../helpers/tcp-echo.js';
import { proxiedTargetYaml, startProxiedWorld } from '../helpers/world.js';

const MiB = 1024 * 1024;

/**
 * What the tests add to the proxied world (alice, db-key, db1): db2 (no rule
 * grants it), the dba role, and with a hop, db3 behind hop1 with hop1's own
 * credential.
 */
function extraResources(p: { db1Port: number; db3Port?: number; hop1Port?: number }): string {
  const chain =
    p.db3Port !== undefined && p.hop1Port !== undefined
      ? `---
kind: Credential
name: hop-key
type: privateKey
secretFile: ./hop-key
---
${proxiedTargetYaml('hop1', p.hop1Port, 'hop-key')}---
kind: Target
name: db3
host: 127.0.0.1
port: ${p.db3Port}
via: hop1
login: ${osLogin}
credential: db-key
`
      : '';
  return `${proxiedTargetYaml('db2', p.db1Port)}---
kind: Role
name: dba
allow:
  - targets: [db1${chain ? ', db3' : ''}]
    access: [session, sftp]
    logins: [${osLogin}]
    record: true
${chain}`;
}

/** A predicate true for events written after this call. */
function newSince(g: { auditEvents(): AuditEvent[] }): (e: AuditEvent) => boolean {
  const seen = new Set(g.auditEvents().map((e) => e.id));
  return (e) => !seen.has(e.id);
}

async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('proxied sessions: ssh alice+db1@gate', () => {
  let db3: Sshd;
  let hop1: Sshd;

  const w = suiteFixture(() =>
    startProxiedWorld({
      extraYaml: async ({ gateway, keys, db1 }) => {
        const hopKey = await makeKeyPair(gateway.workDir, 'hop-key', 'jumpgate-hop-credential');
        // The targets trust only the stored credentials, never alice's own key.
        // db3 re-keys every MiB, as OpenSSH does every GiB with chacha20: streams through
        // it cross many key exchanges.
        db3 = await startSshd({ authorizedKeys: [keys.db.publicKey], extraConfig: ['RekeyLimit 1M'] });
        hop1 = await startSshd({ host: '127.0.0.1', authorizedKeys: [hopKey.publicKey] });
        return extraResources({ db1Port: db1.port, db3Port: db3.port, hop1Port: hop1.port });
      },
    }),
  );

  /** `ssh -F CONFIG -p GATEPORT USER@127.0.0.1 ...args`. */
  const ssh = (user: string, args: readonly string[], options: Parameters<SshClient['run']>[1] = {}): Promise<RunResult> =>
    w.alice.run(['-p', String(w.gateway.port), `${user}@127.0.0.1`, ...args], options);

  test('alice\'s own key does not open db1: only the gateway\'s credential does', { timeout: 30_000 }, async () => {
    const r = await run('ssh', ['-F', w.alice.configFile, '-p', String(w.db1.port), `${osLogin}@127.0.0.1`, 'true']);
    assert.notEqual(r.code, 0, `db1 must not trust alice's own key\n${describeRun(r)}`);
  });

  test('runs a command on the target as the target\'s login', { timeout: 30_000 }, async () => {
    const r = await ssh('alice+db1', ['echo "$(id -un) on target:$SSH_CONNECTION"']);
    assert.equal(r.code, 0, describeRun(r));
    // SSH_CONNECTION names db1's port: the command ran on db1's sshd, not on the gateway.
    assert.match(r.stdout, new RegExp(`^${osLogin} on target:\\S+ \\d+ 127\\.0\\.0\\.1 ${w.db1.port}$`, 'm'), describeRun(r));
  });

  test('an explicit login: alice+LOGIN@db1@gate', { timeout: 30_000 }, async () => {
    const r = await ssh(`alice+${osLogin}@db1`, ['id -un']);
    assert.equal(r.code, 0, describeRun(r));
    assert.equal(r.stdout.trim(), osLogin);
  });

  test('the remote exit status comes back', { timeout: 30_000 }, async () => {
    const fresh = newSince(w.gateway);
    const r = await ssh('alice+db1', ['exit 7']);
    assert.equal(r.code, 7, describeRun(r));
    const end = await w.gateway.waitForAuditEvent(
      (e) => fresh(e) && e.type === 'session.end' && e.user === 'alice' && e.exit_status === 7,
    );
    assert.equal(end.reason, 'closed');
    assert.equal(end.kind, 'session');
    assert.equal(end.target, 'db1');
    assert.equal(end.login, osLogin);
  });

  test('a failing command\'s status and stderr come back', { timeout: 30_000 }, async () => {
    const r = await ssh('alice+db1', ['echo to-stderr >&2; ls /definitely/not/here >/dev/null 2>&1; exit 3']);
    assert.equal(r.code, 3, describeRun(r));
    assert.match(r.stderr, /^to-stderr$/m);
  });

  test('stdin is relayed to the command, and its end too', { timeout: 30_000 }, async () => {
    const r = await ssh('alice+db1', ['tr a-z A-Z; echo after-eof'], { input: 'hello\nproxied world\n' });
    assert.equal(r.code, 0, describeRun(r));
    assert.equal(r.stdout, 'HELLO\nPROXIED WORLD\nafter-eof\n');
  });

  test('an exec request is audited: session.start, command, session.end with the same session id', { timeout: 30_000 }, async () => {
    const fresh = newSince(w.gateway);
    const r = await ssh('alice+db1', ['echo exec-audit-marker']);
    assert.equal(r.code, 0, describeRun(r));
    const command = await w.gateway.waitForAuditEvent(
      (e) => e.type === 'command' && e.command === 'echo exec-audit-marker',
    );
    assert.equal(command.user, 'alice');
    const end = await w.gateway.waitForAuditEvent((e) => e.type === 'session.end' && e.session === command.session);
    const events = w.gateway.auditEvents().filter(fresh);
    const start = events.find((e) => e.type === 'session.start' && e.session === command.session);
    assert.ok(start, `no session.start for session ${String(command.session)}: ${JSON.stringify(events, null, 1)}`);
    assert.equal(start.kind, 'session');
    assert.equal(start.target, 'db1');
    assert.equal(start.login, osLogin);
    assert.equal(end.exit_status, 0);
    assert.equal(end.reason, 'closed');
    assert.ok(typeof end.duration_ms === 'number' && end.duration_ms >= 0, JSON.stringify(end));
    assert.ok(typeof end.bytes_down === 'number' && end.bytes_down >= 'exec-audit-marker\n'.length, JSON.stringify(end));
  });

  test('100 MiB of stdin reaches the target intact', { timeout: 180_000 }, async () => {
    const payload = randomBytes(100 * MiB);
    const r = await ssh('alice+db1', ['sha256sum'], { input: payload, timeoutMs: 150_000 });
    assert.equal(r.code, 0, describeRun(r));
    assert.equal(r.stdout.split(/\s+/)[0], sha256(payload));
  });

  test('100 MiB of output from the target arrives intact', { timeout: 180_000 }, async () => {
    const file = path.join(w.gateway.workDir, 'big-download.bin');
    const payload = randomBytes(100 * MiB);
    fs.writeFileSync(file, payload);
    // The target runs on this machine, so it can read the file; the pipe keeps the bytes binary.
    const script = `set -o pipefail; ssh -F '${w.alice.configFile}' -p ${w.gateway.port} alice+db1@127.0.0.1 'cat ${file}' | sha256sum`;
    const r = await run('bash', ['-c', script], { timeoutMs: 150_000 });
    assert.equal(r.code, 0, describeRun(r));
    assert.equal(r.stdout.split(/\s+/)[0], sha256(payload));
  });

  test('a stream across the target\'s key re-exchanges keeps its exit status', { timeout: 120_000 }, async () => {
    // The gateway must not send channel messages in the middle of a re-key: the target
    // would drop the connection and the exit status would be lost (ssh exits 255).
    // Packets the gateway queues while a re-key runs are sent after it, intact: the target hashes what it got.
    for (let round = 0; round < 5; round++) {
      const payload = randomBytes(24 * MiB);
      const r = await ssh('alice+db3', ['sha256sum; exit 5'], { input: payload, timeoutMs: 60_000 });
      assert.equal(r.code, 5, `round ${round + 1}\n${describeRun(r)}`);
      assert.equal(r.stdout.split(/\s+/)[0], sha256(payload), `round ${round + 1}: the bytes the target got`);
    }
  });

  test('a login no rule grants is refused after authentication', { timeout: 30_000 }, async () => {
    const fresh = newSince(w.gateway);
    const r = await ssh('alice+nobody@db1', ['echo must-not-run']);
    assert.equal(r.code, 1, describeRun(r));
    assert.match(r.stderr, /^jumpgate: alice may not reach nobody@db1 \(no rule grants login nobody\)\r?$/m, describeRun(r));
    assert.doesNotMatch(r.stdout, /must-not-run/);
    await w.gateway.waitForAuditEvent(
      (e) => fresh(e) && e.type === 'access.denied' && e.user === 'alice' && JSON.stringify(e).includes('nobody'),
    );
  });

  test('an unknown target is refused: jumpgate: no target named db9', { timeout: 30_000 }, async () => {
    const fresh = newSince(w.gateway);
    const r = await ssh('alice+db9', ['echo must-not-run']);
    assert.equal(r.code, 1, describeRun(r));
    assert.match(r.stderr, /^jumpgate: no target named db9\r?$/m, describeRun(r));
    await w.gateway.waitForAuditEvent(
      (e) => fresh(e) && e.type === 'access.denied' && e.user === 'alice' && JSON.stringify(e).includes('db9'),
    );
  });

  test('a target no rule grants is refused', { timeout: 30_000 }, async () => {
    const fresh = newSince(w.gateway);
    const r = await ssh('alice+db2', ['echo must-not-run']);
    assert.equal(r.code, 1, describeRun(r));
    assert.match(r.stderr, new RegExp(`^jumpgate: alice may not reach ${osLogin}@db2 \\(no rule grants db2\\)\\r?$`, 'm'), describeRun(r));
    assert.doesNotMatch(r.stdout, /must-not-run/);
    await w.gateway.waitForAuditEvent(
      (e) => fresh(e) && e.type === 'access.denied' && e.user === 'alice' && JSON.stringify(e).includes('db2'),
    );
    // Refused before any session began.
    assert.equal(
      w.gateway.auditEvents().filter(fresh).filter((e) => e.type === 'session.start').length,
      0,
    );
  });

  test('a target behind a jump host (via: hop1) works the same', { timeout: 60_000 }, async () => {
    const r = await ssh('alice+db3', [`echo "via-ok:$(id -un):\${SSH_CONNECTION##* }"; exit 5`]);
    assert.equal(r.code, 5, describeRun(r));
    assert.match(r.stdout, new RegExp(`^via-ok:${osLogin}:${db3.port}$`, 'm'), describeRun(r));
    const payload = randomBytes(4 * MiB);
    const big = await ssh('alice+db3', ['sha256sum'], { input: payload, timeoutMs: 50_000 });
    assert.equal(big.code, 0, describeRun(big));
    assert.equal(big.stdout.split(/\s+/)[0], sha256(payload));
  });

  test('jumpgate sessions kill ID ends a live session', { timeout: 60_000 }, async () => {
    const fresh = newSince(w.gateway);
    const sleeper = w.alice.spawn(['-p', String(w.gateway.port), 'alice+db1@127.0.0.1', 'sleep 60'], { timeoutMs: 55_000 });
    const start = await w.gateway.waitForAuditEvent(
      (e) => fresh(e) && e.type === 'session.start' && e.user === 'alice' && e.target === 'db1',
      15_000,
    );
    const id = String(start.session);

    const listed = await w.gateway.jumpgate(['sessions', '-o', 'json']);
    assert.equal(listed.code, 0, describeRun(listed));
    const sessions = JSON.parse(listed.stdout) as Array<{ id: string; user: string; target: string }>;
    const mine = sessions.find((s) => s.id === id);
    assert.ok(mine, `session ${id} is not among the live sessions:\n${listed.stdout}`);
    assert.equal(mine.user, 'alice');
    assert.equal(mine.target, 'db1');

    const began = Date.now();
    const killed = await w.gateway.jumpgate(['sessions', 'kill', id]);
    assert.equal(killed.code, 0, describeRun(killed));
    assert.match(killed.stdout, new RegExp(`^session ${id} ended \\(killed\\)$`, 'm'));

    await waitFor(() => !sleeper.isAlive(), 10_000, 'the ssh client exiting after the kill');
    const r = await sleeper.exited;
    assert.ok(Date.now() - began < 10_000, 'the session outlived the kill by more than a few seconds');
    assert.notEqual(r.code, 0, describeRun(r));
    assert.equal(r.timedOut, false);
    const end = await w.gateway.waitForAuditEvent((e) => e.type === 'session.end' && e.session === id);
    assert.equal(end.reason, 'killed');

    const later = await w.gateway.jumpgate(['sessions', '-o', 'json']);
    assert.equal(later.code, 0, describeRun(later));
    assert.ok(!(JSON.parse(later.stdout) as Array<{ id: string }>).some((s) => s.id === id), later.stdout);
  });

  test('sessions kill of an unknown id fails with status 1', { timeout: 30_000 }, async () => {
    const r = await w.gateway.jumpgate(['sessions', 'kill', '0123456789abcdef']);
    assert.equal(r.code, 1, describeRun(r));
  });

  test('agent forwarding (ssh -A) where no rule allows it is refused with a message and an access.denied event; the session runs without it', { timeout: 60_000 }, async () => {
    const socket = path.join(w.gateway.workDir, `agent-${process.pid}.sock`);
    const agent = spawnTracked('ssh-agent', ['-D', '-a', socket]);
    try {
      await waitFor(() => fs.existsSync(socket), 10_000, 'ssh-agent listening');
      const fresh = newSince(w.gateway);
      // IdentityAgent none (the test config) would unset SSH_AUTH_SOCK, and ssh forwards no agent it cannot reach.
      const r = await w.alice.run(['-A', '-o', `IdentityAgent=${socket}`, '-p', String(w.gateway.port), 'alice+db1@127.0.0.1', 'echo "agent:[$SSH_AUTH_SOCK]"']);
      assert.equal(r.code, 0, describeRun(r));
      assert.match(r.stderr, /^jumpgate: alice may not forward an agent to db1 \(role dba, rule 1 does not allow agent forwarding\)\r?$/m, describeRun(r));
      assert.match(r.stdout, /^agent:\[\]$/m, 'the target got an agent');
      const denied = await w.gateway.waitForAuditEvent((e) => fresh(e) && e.type === 'access.denied' && e.access === 'agentForwarding');
      assert.equal(denied.user, 'alice');
      assert.equal(denied.target, 'db1');
      assert.equal(denied.reason, 'role dba, rule 1 does not allow agent forwarding');

      // Positive control: the same agent at hand, without -A: no message and no refusal.
      const quiet = newSince(w.gateway);
      const plain = await w.alice.run(['-o', `IdentityAgent=${socket}`, '-p', String(w.gateway.port), 'alice+db1@127.0.0.1', 'echo plain']);
      assert.equal(plain.code, 0, describeRun(plain));
      assert.doesNotMatch(plain.stderr, /jumpgate:/, describeRun(plain));
      const command = await w.gateway.waitForAuditEvent((e) => quiet(e) && e.type === 'command' && e.command === 'echo plain');
      await w.gateway.waitForAuditEvent((e) => e.type === 'session.end' && e.session === command.session);
      assert.equal(w.gateway.auditEvents().filter((e) => quiet(e) && e.type === 'access.denied').length, 0);
    } finally {
      await agent.kill();
    }
  });

  test('X11 forwarding (ssh -X) is refused with a message and an access.denied event; the session runs without it', { timeout: 60_000 }, async () => {
    const fresh = newSince(w.gateway);
    const env = { ...process.env, DISPLAY: '127.0.0.1:97', XAUTHORITY: path.join(w.gateway.workDir, 'Xauthority') };
    const r = await w.alice.run(['-X', '-o', 'LogLevel=ERROR', '-p', String(w.gateway.port), 'alice+db1@127.0.0.1', 'echo "display:[$DISPLAY]"'], { env });
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stderr, /^jumpgate: alice may not forward X11 to db1 \(X11 forwarding is not relayed to targets\)\r?$/m, describeRun(r));
    assert.match(r.stdout, /^display:\[\]$/m);
    const denied = await w.gateway.waitForAuditEvent((e) => fresh(e) && e.type === 'access.denied' && e.access === 'x11');
    assert.equal(denied.user, 'alice');
    assert.equal(denied.reason, 'X11 forwarding is not relayed to targets');
  });

  // Last: it takes the jump host down.
  test('the chain really passes through hop1: with hop1 down, db3 is unreachable', { timeout: 60_000 }, async () => {
    await hop1.crash();
    const fresh = newSince(w.gateway);
    const r = await ssh('alice+db3', ['echo must-not-run']);
    assert.notEqual(r.code, 0, describeRun(r));
    assert.doesNotMatch(r.stdout, /must-not-run/);
    assert.match(r.stderr, /^jumpgate: .*db3.*$/m, describeRun(r));
    await w.gateway.waitForAuditEvent(
      (e) => fresh(e) && e.type === 'upstream.failure' && JSON.stringify(e).includes('hop1'),
    );
    // db3 itself is still up, and db1 (no hop) still works.
    assert.ok(db3.process.isAlive());
    const ok = await ssh('alice+db1', ['echo still-fine']);
    assert.equal(ok.code, 0, describeRun(ok));
    assert.match(ok.stdout, /still-fine/);
  });
});

// ---------------------------------------------------------------------------
// Session limits and shutdown, on a gateway whose settings are written before it starts.

describe('proxied session limits and shutdown', () => {
  const w = suiteFixture(() =>
    startProxiedWorld({
      settings: settingsWith([[['sessions'], { idleTimeout: '3s', maxSessionDuration: '12h', maxSessionsPerUser: 10 }]]),
      extraYaml: ({ db1 }) => extraResources({ db1Port: db1.port }),
    }),
  );

  const ssh = (args: readonly string[], options: Parameters<SshClient['run']>[1] = {}): Promise<RunResult> =>
    w.alice.run(['-p', String(w.gateway.port), 'alice+db1@127.0.0.1', ...args], options);

  test('an idle session is ended (reason idle) and the user is told', { timeout: 60_000 }, async () => {
    const fresh = newSince(w.gateway);
    const began = Date.now();
    const r = await ssh(['sleep 60'], { timeoutMs: 40_000 });
    const took = Date.now() - began;
    assert.equal(r.timedOut, false, describeRun(r));
    assert.notEqual(r.code, 0, describeRun(r));
    assert.ok(took >= 2_500 && took < 20_000, `ended after ${took} ms (idleTimeout 3s)`);
    assert.match(r.stderr, /jumpgate: session idle/, describeRun(r));
    const end = await w.gateway.waitForAuditEvent(
      (e) => fresh(e) && e.type === 'session.end' && e.user === 'alice',
    );
    assert.equal(end.reason, 'idle');
  });

  test('a session with output is not idle', { timeout: 60_000 }, async () => {
    const r = await ssh(['for i in 1 2 3 4 5 6; do echo tick-$i; sleep 1; done'], { timeoutMs: 40_000 });
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, /^tick-6$/m);
  });

  test('SIGTERM to the gateway ends a live session as shutdown', { timeout: 60_000 }, async () => {
    const fresh = newSince(w.gateway);
    // Output every second keeps it clear of the idle limit.
    const live = w.alice.spawn(
      ['-p', String(w.gateway.port), 'alice+db1@127.0.0.1', 'while :; do echo tick; sleep 1; done'],
      { timeoutMs: 50_000 },
    );
    const start = await w.gateway.waitForAuditEvent(
      (e) => fresh(e) && e.type === 'session.start' && e.user === 'alice',
      15_000,
    );
    await waitFor(() => live.stdout().includes('tick'), 10_000, 'the first tick');
    const stopped = await w.gateway.terminate();
    assert.equal(stopped.code, 0, `jumpgate serve exited ${stopped.code ?? stopped.signal} after SIGTERM\n${stopped.stderr}`);
    const end = await w.gateway
      .waitForAuditEvent((e) => e.type === 'session.end' && e.session === start.session)
      .catch(async (e: Error) => {
        const past = await w.gateway.jumpgate(['sessions', '--all', '-o', 'json']);
        throw new Error(`${e.message}\nsessions --all:\n${past.stdout}${past.stderr}\ngateway stderr:\n${stopped.stderr}`);
      });
    assert.equal(end.reason, 'shutdown');
    await waitFor(() => !live.isAlive(), 10_000, 'the ssh client exiting after the shutdown');
    const r = await live.exited;
    assert.notEqual(r.code, 0, describeRun(r));
    assert.equal(r.timedOut, false);
  });
});
