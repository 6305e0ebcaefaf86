import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, test } from 'node:test';
import type { AuditEvent } from '../helpers/gateway.js';
import { allOutput, describeRun } from '../helpers/ssh-client.js';
import { suiteFixture } from '../helpers/suite-fixture.js';
import { startProxiedWorld, startWorld } from '../helpers/world.js';

const RFC3339_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(Z|[+-]\d\d:\d\d)$/;
const SRC = /^127\.0\.0\.1:\d+$/;

function assertEnvelope(e: AuditEvent, user: string): void {
  const show = JSON.stringify(e);
  assert.match(String(e.ts), RFC3339_MS, `ts: ${show}`);
  assert.equal(typeof e.id, 'string', `id: ${show}`);
  assert.ok(e.id.length > 0, `id: ${show}`);
  assert.equal(e.user, user, `user: ${show}`);
  assert.match(String(e.src), SRC, `src: ${show}`);
  assert.equal(typeof e.prev, 'string', `prev: ${show}`);
  assert.equal(typeof e.hash, 'string', `hash: ${show}`);
  assert.ok(e.hash.length > 0, `hash: ${show}`);
}

describe('audit trail', () => {
  const w = suiteFixture(() => startWorld());

  test('a jump session, a wrong key and a denied request are recorded', { timeout: 60_000 }, async () => {
    const jump = await w.alice.run(['-J', 'gate', `${w.login}@db1`, 'echo audited']);
    assert.equal(jump.code, 0, describeRun(jump));
    const wrongKey = await w.stranger.run(['-J', 'gate', `${w.login}@db1`, 'true']);
    assert.equal(wrongKey.code, 255, describeRun(wrongKey));
    const denied = await w.bob.run(['-J', 'gate', `${w.login}@db1`, 'true']);
    assert.notEqual(denied.code, 0, describeRun(denied));

    const g = w.gateway;
    const success = await g.waitForAuditEvent((e) => e.type === 'auth.success' && e.user === 'alice');
    assertEnvelope(success, 'alice');

    const failure = await g.waitForAuditEvent((e) => e.type === 'auth.failure');
    assertEnvelope(failure, 'alice');

    const refusal = await g.waitForAuditEvent((e) => e.type === 'access.denied' && e.user === 'bob');
    assertEnvelope(refusal, 'bob');

    const start = await g.waitForAuditEvent((e) => e.type === 'session.start' && e.user === 'alice');
    assertEnvelope(start, 'alice');

    const end = await g.waitForAuditEvent((e) => e.type === 'session.end' && e.user === 'alice');
    assertEnvelope(end, 'alice');
    assert.equal(end.kind, 'jump', JSON.stringify(end));
    for (const field of ['duration_ms', 'bytes_up', 'bytes_down'] as const) {
      assert.equal(typeof end[field], 'number', `${field}: ${JSON.stringify(end)}`);
      assert.ok((end[field] as number) >= 0, `${field}: ${JSON.stringify(end)}`);
    }
    // The inner SSH handshake alone moves bytes in both directions.
    assert.ok((end.bytes_up as number) > 0, JSON.stringify(end));
    assert.ok((end.bytes_down as number) > 0, JSON.stringify(end));

    // Each line's prev is the hash of the line before it.
    const events = g.auditEvents();
    for (let i = 1; i < events.length; i += 1) {
      assert.equal(events[i]?.prev, events[i - 1]?.hash, `audit.log line ${i + 1} does not chain to line ${i}`);
    }
  });

  test('audit verify accepts the untouched log', { timeout: 30_000 }, async () => {
    const r = await w.gateway.jumpgate(['audit', 'verify']);
    assert.equal(r.code, 0, describeRun(r));
  });

  test('audit verify names the event whose line was altered', { timeout: 30_000 }, async () => {
    const file = w.gateway.auditLogPath();
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    const userValue = /"user"\s*:\s*"([^"]+)"/;
    const eventLines = lines.map((line, i) => ({ line, i })).filter(({ line }) => line.trim() !== '');
    assert.ok(eventLines.length >= 3, `only ${eventLines.length} events in audit.log`);

    // The line nearest the middle (neither first nor last) that names a user.
    const middle = Math.floor(eventLines.length / 2);
    const candidates = eventLines
      .slice(1, -1)
      .filter(({ line }) => userValue.test(line))
      .sort((a, b) => Math.abs(a.i - eventLines[middle].i) - Math.abs(b.i - eventLines[middle].i));
    const victim = candidates[0];
    assert.ok(victim, 'no middle audit line with a user to alter');

    const altered = JSON.parse(victim.line) as AuditEvent;
    lines[victim.i] = victim.line.replace(userValue, (whole, user: string) => {
      const last = user.charCodeAt(user.length - 1) ^ 1;
      return whole.replace(`"${user}"`, `"${user.slice(0, -1)}${String.fromCharCode(last)}"`);
    });
    assert.notEqual(lines[victim.i], victim.line);
    fs.writeFileSync(file, lines.join('\n'));

    const r = await w.gateway.jumpgate(['audit', 'verify']);
    assert.equal(r.code, 1, describeRun(r));
    const lineNo = victim.i + 1;
    const out = allOutput(r);
    assert.ok(
      out.includes(altered.id) || new RegExp(`\\b${lineNo}\\b`).test(out),
      `audit verify should name event ${altered.id} (line ${lineNo}):\n${describeRun(r)}`,
    );
  });
});

describe('outside text reaches the operator escaped', () => {
  const w = suiteFixture(() => startProxiedWorld({
    extraYaml: async ({ login }) => `kind: Role
name: dba
allow:
  - targets: [db1]
    access: [session]
    logins: [${login}]
`,
  }));

  // What a user types is theirs to choose: a newline to forge a line of `jumpgate audit`,
  // escape sequences to retitle the operator's window or clear the screen, a bidi override.
  const command = 'echo hi\n2026-01-01T00:00:00.000Z  auth.success     root\x1b]0;pwned\x07\x1b[2J\u202eexe.txt';

  test('jumpgate audit shows a command as one escaped line, and -o json keeps it exactly', { timeout: 60_000 }, async () => {
    // The target's shell runs it as two lines (the second is no command there): what matters
    // is how the operator is shown it.
    const r = await w.alice.run(['-p', String(w.gateway.port), 'alice+db1@127.0.0.1', command]);
    assert.match(r.stdout, /^hi$/m, describeRun(r));
    await w.gateway.waitForAuditEvent((e) => e.type === 'command' && e.command === command);

    const text = await w.gateway.jumpgate(['audit', '--type', 'command']);
    assert.equal(text.code, 0, describeRun(text));
    const lines = text.stdout.split('\n').filter((line) => line !== '');
    assert.equal(lines.length, 1, `one event, one line:\n${text.stdout}`);
    assert.match(lines[0], /^\d{4}-\d\d-\d\dT[\d:.]+Z  command /);
    assert.doesNotMatch(text.stdout, /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]/u, 'no control or bidi character reaches the terminal');
    assert.ok(lines[0].includes('command="echo hi\\x0a2026-01-01T00:00:00.000Z  auth.success     root\\x1b]0;pwned\\x07\\x1b[2J\\u{202e}exe.txt"'), lines[0]);

    const json = await w.gateway.jumpgate(['audit', '--type', 'command', '-o', 'json']);
    assert.equal(json.code, 0, describeRun(json));
    assert.equal((JSON.parse(json.stdout.trim()) as AuditEvent).command, command, 'the trail keeps what was run, byte for byte');
  });
});
