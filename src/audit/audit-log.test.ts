import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openSqliteStores } from '../store/sqlite/sqlite-stores.js';
import type { AuditStore, Stores } from '../store/store.js';
import { AuditLog, AuditUnavailable } from './audit-log.js';
import type { Target } from '../domain/resources.js';

let dir = '';
let stores: Stores;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'jumpgate-audit-log-'));
  stores = openSqliteStores(path.join(dir, 'jumpgate.db'));
});
afterEach(async () => {
  await stores.close();
  rmSync(dir, { recursive: true, force: true });
});

const fileLines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);
const target: Target = { kind: 'Target', name: 'db1', host: '10.0.2.5', port: 22, alternateHosts: [], labels: {} } as unknown as Target;
const change = { type: 'config.change' as const, user: 'operator', src: null, action: 'create' as const, kind: 'Target', name: 'db1' };

test('an event the store cannot commit is an error, and reaches neither the file nor a listener', async () => {
  const file = path.join(dir, 'audit.log');
  const failing: AuditStore = { ...stores.audit, append: () => Promise.reject(new Error('SQLITE_FULL: database or disk is full')) };
  const errors: unknown[] = [];
  const heard: unknown[] = [];
  const audit = new AuditLog(failing, file, 'node-a', { rotateSize: 1 << 20, onError: (error) => errors.push(error) });
  audit.subscribe((event) => heard.push(event));
  await assert.rejects(audit.record({ type: 'auth.success', user: 'alice', src: '203.0.113.7:5000', method: 'publickey' }), (error: unknown) => {
    assert.ok(error instanceof AuditUnavailable);
    assert.match(error.message, /auth\.success.*disk is full/);
    return true;
  });
  assert.deepEqual(fileLines(file), []);
  assert.equal(heard.length, 0);
  assert.equal(errors.length, 1);
  // Positive control: the same log over the working store writes the line and tells listeners.
  const working = new AuditLog(stores.audit, file, 'node-a', { rotateSize: 1 << 20 });
  working.subscribe((event) => heard.push(event));
  await working.record({ type: 'auth.success', user: 'alice', src: '203.0.113.7:5000', method: 'publickey' });
  assert.equal(fileLines(file).length, 1);
  assert.equal(heard.length, 1);
});

test('a change and its event commit together or not at all', async () => {
  const file = path.join(dir, 'audit.log');
  const audit = new AuditLog(stores.audit, file, 'node-a', { rotateSize: 1 << 20 });
  await assert.rejects(audit.recordChange([change], (changeAudit) => stores.applyChanges([{ op: 'put', resource: target }], {
    drafts: changeAudit.drafts,
    seal: () => { throw new Error('cannot seal'); },
  })), /cannot seal/);
  assert.equal(await stores.targets.get('db1'), null, 'the change must not be committed without its event');
  assert.deepEqual(await stores.audit.list({}), []);
  assert.deepEqual(fileLines(file), []);

  const events = await audit.recordChange([change], (changeAudit) => stores.applyChanges([{ op: 'put', resource: target }], changeAudit));
  assert.equal((await stores.targets.get('db1'))?.host, '10.0.2.5');
  assert.deepEqual((await stores.audit.list({})).map((e) => e.id), events.map((e) => e.id));
  assert.equal(fileLines(file).length, 1);
});
