import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { verifyChainFiles } from './verify-chain.js';
import { GENESIS, sealEvent } from './hash-chain.js';
import type { AuditEvent } from './events.js';

let dir = '';
let events: AuditEvent[] = [];
let lines: string[] = [];

before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'jumpgate-verify-'));
  let prev = GENESIS;
  for (let i = 0; i < 5; i++) {
    const event = sealEvent({ type: 'command', user: 'alice', src: '203.0.113.7:50000', session: 's1', command: `echo ${i}` }, prev, 'node-a');
    events.push(event);
    prev = event.hash;
  }
  lines = events.map((event) => JSON.stringify(event));
});

after(() => rmSync(dir, { recursive: true, force: true }));

let dirCount = 0;
/** Each case gets its own data dir holding one `audit.log`. */
function write(content: string): string {
  const own = path.join(dir, `case-${dirCount++}`);
  mkdirSync(own);
  const file = path.join(own, 'audit.log');
  writeFileSync(file, content);
  return file;
}

/** The verdict in the shape of a one-file check. */
function verifyAuditFile(file: string) {
  const verdict = verifyChainFiles(file);
  return verdict.ok ? { ok: true, events: verdict.events } : { ok: false, line: verdict.line, id: verdict.id, reason: verdict.reason };
}

describe('verifyAuditFile', () => {
  test('an intact file is ok and counts its events', () => {
    assert.deepEqual(verifyAuditFile(write(lines.join('\n') + '\n')), { ok: true, events: 5 });
  });

  test('a file without a final newline is read the same', () => {
    assert.deepEqual(verifyAuditFile(write(lines.join('\n'))), { ok: true, events: 5 });
  });

  test('an empty file holds no events', () => {
    assert.deepEqual(verifyAuditFile(write('')), { ok: true, events: 0 });
  });

  test('one character changed inside a value on line 3 is reported at line 3', () => {
    const altered = [...lines];
    assert.ok(altered[2].includes('"echo 2"'));
    altered[2] = altered[2].replace('"echo 2"', '"echo 3"');
    const verdict = verifyAuditFile(write(altered.join('\n') + '\n'));
    assert.equal(verdict.ok, false);
    assert.ok(!verdict.ok);
    assert.equal(verdict.line, 3);
    assert.equal(verdict.id, events[2].id);
    assert.match(verdict.reason, /altered/);
  });

  test('a line that is not JSON is reported with its number', () => {
    const broken = [...lines];
    broken[1] = broken[1].slice(0, -1);
    const verdict = verifyAuditFile(write(broken.join('\n') + '\n'));
    assert.deepEqual(verdict, { ok: false, line: 2, id: null, reason: 'not valid JSON' });
  });

  test('a blank line in the middle is reported', () => {
    const verdict = verifyAuditFile(write([...lines.slice(0, 3), '', ...lines.slice(3)].join('\n') + '\n'));
    assert.equal(verdict.ok, false);
    assert.ok(!verdict.ok);
    assert.equal(verdict.line, 4);
  });

  test('a removed line is reported where the chain breaks', () => {
    const verdict = verifyAuditFile(write([...lines.slice(0, 2), ...lines.slice(3)].join('\n') + '\n'));
    assert.equal(verdict.ok, false);
    assert.ok(!verdict.ok);
    assert.equal(verdict.line, 3);
    assert.equal(verdict.id, events[3].id);
  });

  // The file is the whole chain from its first event, so it must start at GENESIS:
  // deleting the oldest events must not leave a file that verifies as intact.
  test('a removed first line is reported', () => {
    const verdict = verifyAuditFile(write(lines.slice(1).join('\n') + '\n'));
    assert.equal(verdict.ok, false);
    assert.ok(!verdict.ok);
    assert.equal(verdict.line, 1);
  });
});

describe('rotated files', () => {
  test('the chain runs on across audit-<time>.log files into audit.log', () => {
    const own = path.join(dir, 'rotated');
    mkdirSync(own);
    writeFileSync(path.join(own, 'audit-20260101T000000.000Z.log'), lines.slice(0, 2).join('\n') + '\n');
    writeFileSync(path.join(own, 'audit-20260102T000000.000Z.log'), lines.slice(2, 4).join('\n') + '\n');
    writeFileSync(path.join(own, 'audit.log'), lines.slice(4).join('\n') + '\n');
    const verdict = verifyChainFiles(path.join(own, 'audit.log'));
    assert.equal(verdict.ok, true);
    assert.equal(verdict.ok && verdict.files.length, 3);
    assert.equal(verdict.ok && verdict.head, events[4].hash);
  });

  test('a removed rotated file breaks the chain at the next file', () => {
    const own = path.join(dir, 'rotated-gap');
    mkdirSync(own);
    writeFileSync(path.join(own, 'audit-20260101T000000.000Z.log'), lines.slice(0, 2).join('\n') + '\n');
    writeFileSync(path.join(own, 'audit.log'), lines.slice(4).join('\n') + '\n');
    const verdict = verifyChainFiles(path.join(own, 'audit.log'));
    assert.equal(verdict.ok, false);
    assert.equal(!verdict.ok && verdict.file, path.join(own, 'audit.log'));
    assert.equal(!verdict.ok && verdict.line, 1);
  });
});
