/**
 * Interactive proxied sessions in a real terminal (tmux): `ssh -t alice+db1@gate`
 * gives a shell on db1; typing, window size changes and Ctrl-C reach it; the
 * session is recorded (asciicast v2), replayable, and its commands audited.
 * Also the target menu of `ssh -t alice@gate` (SPEC §2.4).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { AuditEvent, Gateway } from '../helpers/gateway.js';
import { allOutput, describeRun } from '../helpers/ssh-client.js';
import { osLogin } from '../helpers/sshd.js';
import { suiteFixture } from '../helpers/suite-fixture.js';
import { killAllTmux, startTmux, type TmuxTerminal } from '../helpers/tmux.js';
import { proxiedTargetYaml, startProxiedWorld } from '../helpers/world.js';

/** A predicate true for events written after this call. */
function newSince(g: Gateway): (e: AuditEvent) => boolean {
  const seen = new Set(g.auditEvents().map((e) => e.id));
  return (e) => !seen.has(e.id);
}

/** Lines of a pane, trailing blanks dropped. */
function lines(text: string): string[] {
  return text.split('\n').map((l) => l.replace(/\s+$/, ''));
}

describe('interactive proxied sessions and the target menu', () => {
  // Registered first, so the terminals close before the gateway stops.
  after(() => {
    killAllTmux();
  });

  const w = suiteFixture(() =>
    startProxiedWorld({
      extraYaml: ({ db1 }) => `${proxiedTargetYaml('db2', db1.port)}---
${proxiedTargetYaml('web1', db1.port)}---
kind: Role
name: dba
allow:
  - targets: [db1, db2]
    access: [session, sftp]
    logins: [${osLogin}]
    record: true
  - targets: [web1]
    access: [jump]
`,
    }),
  );

  /** `ssh -F CONFIG -t -p GATEPORT USER@127.0.0.1` in a fresh terminal. */
  const terminal = (user: string, width = 100, height = 30): Promise<TmuxTerminal> =>
    startTmux({ command: ['ssh', '-F', w.alice.configFile, '-t', '-p', String(w.gateway.port), `${user}@127.0.0.1`], width, height });

  describe('ssh -t alice+db1@gate: a recorded shell on db1', () => {
    let term: TmuxTerminal;
    let fresh: (e: AuditEvent) => boolean;
    let sessionId = '';
    let exitStatus: number | null = null;

    before(async () => {
      fresh = newSince(w.gateway);
      term = await terminal('alice+db1', 100, 30);
      const start = await w.gateway.waitForAuditEvent((e) => fresh(e) && e.type === 'session.start' && e.user === 'alice' && e.target === 'db1', 15_000);
      sessionId = String(start.session);
    });

    after(async () => {
      await term?.kill();
    });

    test('a typed command runs on the target', { timeout: 30_000 }, async () => {
      await term.line('echo marker-42');
      const screen = await term.waitFor(/^marker-42$/m);
      // The shell is db1's: its SSH_CONNECTION names db1's port.
      await term.line('echo "on-target:${SSH_CONNECTION##* }"');
      await term.waitFor(new RegExp(`^on-target:${w.db1.port}$`, 'm'));
      assert.ok(screen.includes('echo marker-42'), 'the typed command is echoed by the remote terminal');
    });

    test('the terminal size reaches the target, and so does a resize', { timeout: 30_000 }, async () => {
      await term.line('stty size');
      await term.waitFor(/^30 100$/m);
      await term.resize(120, 40);
      // Give the window change a moment to travel before asking again.
      await new Promise((r) => setTimeout(r, 500));
      await term.line('stty size');
      await term.waitFor(/^40 120$/m);
    });

    test('Ctrl-C interrupts a running command and the shell goes on', { timeout: 30_000 }, async () => {
      const began = Date.now();
      await term.line('sleep 30; echo sleep-was-not-interrupted');
      await new Promise((r) => setTimeout(r, 1_000));
      await term.keys('C-c');
      await term.line('echo after-interrupt-$((6*7))');
      const screen = await term.waitFor(/^after-interrupt-42$/m, 10_000);
      assert.ok(Date.now() - began < 15_000, 'Ctrl-C did not cut sleep 30 short');
      assert.doesNotMatch(screen, /^sleep-was-not-interrupted$/m);
    });

    test('exit ends the session and ssh', { timeout: 30_000 }, async () => {
      await term.line('exit');
      exitStatus = await term.waitForExit(15_000);
      assert.equal(exitStatus, 0, await term.capture());
    });

    test('session.end names the recording <id>.cast', { timeout: 30_000 }, async () => {
      const end = await w.gateway.waitForAuditEvent((e) => e.type === 'session.end' && e.session === sessionId, 10_000);
      assert.equal(end.kind, 'session');
      assert.equal(end.target, 'db1');
      assert.equal(end.login, osLogin);
      assert.equal(end.reason, 'closed');
      assert.equal(end.recording, `${sessionId}.cast`);
    });

    test('the recording is asciicast v2 with the output and the resize', { timeout: 30_000 }, async () => {
      const file = path.join(w.gateway.dataDir, 'recordings', `${sessionId}.cast`);
      assert.ok(fs.existsSync(file), `${file} does not exist`);
      const [headerLine, ...eventLines] = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
      const header = JSON.parse(headerLine) as { version: number; width: number; height: number };
      assert.equal(header.version, 2);
      assert.equal(header.width, 100);
      assert.equal(header.height, 30);
      const events = eventLines.map((l) => JSON.parse(l) as [number, string, string]);
      let previous = 0;
      for (const event of events) {
        assert.equal(event.length, 3, JSON.stringify(event));
        const [time, code, data] = event;
        assert.equal(typeof time, 'number');
        assert.ok(time >= previous, `event times go backwards: ${JSON.stringify(event)}`);
        previous = time;
        assert.ok(['o', 'i', 'r'].includes(code), JSON.stringify(event));
        assert.equal(typeof data, 'string');
      }
      const output = events.filter((e) => e[1] === 'o').map((e) => e[2]).join('');
      assert.match(output, /marker-42\r?\n/);
      assert.match(output, /40 120/);
      assert.match(output, /after-interrupt-42/);
      assert.ok(events.some((e) => e[1] === 'r' && e[2] === '120x40'), `no resize event 120x40 in ${JSON.stringify(events.filter((e) => e[1] === 'r'))}`);
    });

    test('jumpgate replay ID --speed 50 prints the session\'s output', { timeout: 60_000 }, async () => {
      const r = await w.gateway.jumpgate(['replay', sessionId, '--speed', '50'], { timeoutMs: 50_000 });
      assert.equal(r.code, 0, describeRun(r));
      assert.match(r.stdout, /marker-42/);
      assert.match(r.stdout, /40 120/);
      assert.match(r.stdout, /after-interrupt-42/);
    });

    test('the typed commands are audited as command events of the session', { timeout: 30_000 }, async () => {
      await w.gateway.waitForAuditEvent((e) => e.type === 'command' && e.session === sessionId && e.command === 'exit', 10_000);
      const commands = w.gateway.auditEvents()
        .filter((e) => e.type === 'command' && e.session === sessionId)
        .map((e) => e.command);
      for (const expected of ['echo marker-42', 'stty size', 'sleep 30; echo sleep-was-not-interrupted', 'echo after-interrupt-$((6*7))', 'exit']) {
        assert.ok(commands.includes(expected), `no command event "${expected}" in ${JSON.stringify(commands)}`);
      }
      for (const e of w.gateway.auditEvents().filter((x) => x.type === 'command' && x.session === sessionId)) {
        assert.equal(e.user, 'alice');
      }
    });
  });

  describe('the target menu: ssh -t alice@gate', () => {
    test('lists the session targets, refuses a wrong number, starts the chosen one', { timeout: 60_000 }, async () => {
      const fresh = newSince(w.gateway);
      const term = await terminal('alice', 100, 30);
      try {
        const screen = await term.waitFor('or q to leave: ');
        assert.match(screen, /^jumpgate: targets alice may open a session on:$/m, screen);
        const entries = lines(screen)
          .map((l) => /^ {2,}(\d+)\) (\S+) \((\S+)\)/.exec(l))
          .filter((m): m is RegExpExecArray => m !== null)
          .map((m) => ({ n: Number(m[1]), name: m[2], login: m[3] }));
        assert.deepEqual(entries.map((e) => e.name).sort(), ['db1', 'db2'], screen);
        assert.deepEqual(entries.map((e) => e.n), [1, 2], screen);
        for (const e of entries) assert.equal(e.login, osLogin);
        assert.match(screen, new RegExp(`^ {3}\\d\\) db1 \\(${osLogin}\\)$`, 'm'), screen);
        assert.match(screen, /choose 1-2, or q to leave: $/m, screen);
        assert.doesNotMatch(screen, /web1/, 'a target granted only for jump is not in the session menu');

        await term.line('7');
        const refused = await term.waitFor(/jumpgate: no target numbered 7/);
        // The prompt comes again.
        assert.equal(lines(refused).filter((l) => l.includes('or q to leave:')).length, 2, refused);

        const db1Number = entries.find((e) => e.name === 'db1')!.n;
        await term.line(String(db1Number));
        const start = await w.gateway.waitForAuditEvent((e) => fresh(e) && e.type === 'session.start' && e.user === 'alice', 15_000);
        assert.equal(start.target, 'db1');
        assert.equal(start.login, osLogin);
        await term.line('echo "menu-session:${SSH_CONNECTION##* }"');
        await term.waitFor(new RegExp(`^menu-session:${w.db1.port}$`, 'm'));
        await term.line('stty size');
        await term.waitFor(/^30 100$/m);
        await term.line('exit');
        assert.equal(await term.waitForExit(15_000), 0, await term.capture());
        const end = await w.gateway.waitForAuditEvent((e) => e.type === 'session.end' && e.session === start.session, 10_000);
        assert.equal(end.reason, 'closed');
        // The rule records: a session started from the menu is recorded too.
        assert.equal(end.recording, `${String(start.session)}.cast`);
      } finally {
        await term.kill();
      }
    });

    test('q leaves the menu without a session', { timeout: 30_000 }, async () => {
      const fresh = newSince(w.gateway);
      const term = await terminal('alice');
      try {
        await term.waitFor('or q to leave: ');
        await term.line('q');
        await term.waitForExit(10_000);
        assert.equal(w.gateway.auditEvents().filter((e) => fresh(e) && e.type === 'session.start').length, 0);
      } finally {
        await term.kill();
      }
    });

    test('without a terminal, alice@gate prints how to connect and exits 1', { timeout: 30_000 }, async () => {
      const r = await w.alice.run(['-T', '-p', String(w.gateway.port), 'alice@127.0.0.1']);
      assert.equal(r.code, 1, describeRun(r));
      const text = allOutput(r);
      assert.match(text, /^jumpgate: /m, describeRun(r));
      // alice may open sessions on db1 and db2 only; web1 is granted for jump alone.
      assert.match(text, /db1/, describeRun(r));
      assert.doesNotMatch(text, /alice\+web1@/, `suggests a session on web1, which alice may not open\n${describeRun(r)}`);
      assert.doesNotMatch(text, /or q to leave/, describeRun(r));
    });
  });
});
