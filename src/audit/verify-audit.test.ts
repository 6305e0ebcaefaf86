import { test, describe, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteStores } from '../store/sqlite/sqlite-stores.js';
import type { Stores } from '../store/store.js';
import { AuditLog } from './audit-log.js';
import { auditFiles, verifyAudit, type AuditVerdict } from './verify-audit.js';
import { hashEvent } from './hash-chain.js';
import type { AuditEvent } from './events.js';

let dir = '';
let stores: Stores;
let file = '';
let dbFile = '';

function log(node = 'node-a', rotateSize = 1 << 30): AuditLog {
  return new AuditLog(stores.audit, file, node, { rotateSize, onError: (error) => { throw error; } });
}

async function record(audit: AuditLog, count: number): Promise<AuditEvent[]> {
  const events: AuditEvent[] = [];
  for (let i = 0; i < count; i++) {
    const event = await audit.record({ type: 'command', user: 'alice', src: '203.0.113.7:50000', session: 's1', command: `echo ${i}` });
    events.push(event);
  }
  return events;
}

const lines = () => readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
const writeLines = (all: string[]) => writeFileSync(file, all.map((l) => l + '\n').join(''));
const verify = (): Promise<AuditVerdict> => verifyAudit(stores.audit, file, 'node-a');

function assertBroken(verdict: AuditVerdict, expected: { where?: RegExp; id?: string; reason: RegExp }): void {
  assert.equal(verdict.ok, false, 'verify should fail');
  assert.ok(!verdict.ok);
  assert.match(verdict.reason, expected.reason);
  if (expected.where) assert.match(verdict.where, expected.where);
  if (expected.id) assert.equal(verdict.id, expected.id);
}

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'jumpgate-verify-'));
  file = path.join(dir, 'audit.log');
  dbFile = path.join(dir, 'jumpgate.db');
  stores = openSqliteStores(dbFile);
});

afterEach(async () => {
  await stores.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('audit verify', () => {
  test('an untouched trail is intact, and counts the store and the file', async () => {
    await record(log(), 5);
    const verdict = await verify();
    assert.equal(verdict.ok, true);
    assert.ok(verdict.ok);
    assert.equal(verdict.storeEvents, 5);
    assert.equal(verdict.fileEvents, 5);
  });

  test('one changed character in a line names the file, the line and the event', async () => {
    const events = await record(log(), 5);
    const all = lines();
    all[2] = all[2].replace('"echo 2"', '"echo 3"');
    writeLines(all);
    assertBroken(await verify(), { where: /audit\.log:3$/, id: events[2].id, reason: /altered/ });
  });

  // The same value written another way: each parses to the same object as before.
  for (const [what, edit] of [
    ['spaces between the fields', (line: string) => line.replace(/,"type"/, ', "type"')],
    ['another escape for the same character', (line: string) => line.replace('"echo 1"', '"e\\u0063ho 1"')],
    ['a key given twice', (line: string) => line.replace(/^\{/, '{"user":"mallory",')],
  ] as const) {
    test(`a line rewritten with ${what} is caught`, async () => {
      const events = await record(log(), 3);
      const all = lines();
      all[1] = edit(all[1]);
      assert.notEqual(all[1], lines()[1]);
      writeLines(all);
      assertBroken(await verify(), { where: /audit\.log:2$/, id: events[1].id, reason: /not as written/ });
    });
  }

  test('a removed line is missing from the files', async () => {
    const events = await record(log(), 4);
    writeLines(lines().filter((_, i) => i !== 1));
    assertBroken(await verify(), { id: events[1].id, reason: /missing from its audit files/ });
  });

  test('a line given twice is caught', async () => {
    await record(log(), 3);
    const all = lines();
    writeLines([...all, all[0]]);
    assertBroken(await verify(), { where: /audit\.log:4$/, reason: /also at .*audit\.log:1/ });
  });

  test('an event edited in the store (what `jumpgate audit` shows) is caught', async () => {
    const events = await record(log(), 4);
    const db = new Database(dbFile);
    db.prepare(`UPDATE audit_events SET body = replace(body, '"echo 2"', '"echo 9"') WHERE id = ?`).run(events[2].id);
    db.close();
    assertBroken(await verify(), { where: /store, event #3/, id: events[2].id, reason: /altered/ });
  });

  test('an event rewritten in the store with a fresh hash breaks the chain or disagrees with the file', async () => {
    const events = await record(log(), 4);
    const forged = { ...events[3], command: 'true' } as AuditEvent;
    forged.hash = hashEvent(forged);
    const db = new Database(dbFile);
    db.prepare('UPDATE audit_events SET body = ?, hash = ? WHERE id = ?').run(JSON.stringify(forged), forged.hash, forged.id);
    db.close();
    assertBroken(await verify(), { where: /audit\.log:4$/, id: events[3].id, reason: /differs from the store/ });
  });

  test('an event removed from the store is caught by its file copy', async () => {
    const events = await record(log(), 3);
    const db = new Database(dbFile);
    db.prepare('DELETE FROM audit_events WHERE id = ?').run(events[2].id);
    db.close();
    assertBroken(await verify(), { where: /audit\.log:3$/, id: events[2].id, reason: /store does not hold/ });
  });

  test('lines of two processes in another order than the chain are intact', async () => {
    await record(log(), 4);
    const all = lines();
    writeLines([all[0], all[2], all[1], all[3]]);
    assert.equal((await verify()).ok, true);
  });

  test('events of other nodes live in their own files', async () => {
    await record(log(), 2);
    const elsewhere = path.join(dir, 'other');
    await record(new AuditLog(stores.audit, elsewhere, 'node-b', { rotateSize: 1 << 30 }), 2);
    await record(log(), 1);
    const verdict = await verify();
    assert.ok(verdict.ok, JSON.stringify(verdict));
    assert.equal(verdict.storeEvents, 5);
    assert.equal(verdict.fileEvents, 3);
  });

  test('rotated files are read with the current one; a removed rotated file is caught', async () => {
    const events = await record(log('node-a', 600), 6);
    const files = auditFiles(file);
    assert.ok(files.length >= 3, `expected rotation, got ${files.join(', ')}`);
    const verdict = await verify();
    assert.ok(verdict.ok, JSON.stringify(verdict));
    assert.equal(verdict.fileEvents, 6);
    renameSync(files[0], path.join(dir, 'aside'));
    assertBroken(await verify(), { id: events[0].id, reason: /missing from its audit files/ });
  });
});
