import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openSqliteStores } from './sqlite-stores.js';
import type { Stores } from '../store.js';
import type { SessionRecord } from '../../domain/session.js';

let dir = '';
let counter = 0;

function record(user: string, kind: SessionRecord['kind'] = 'jump'): SessionRecord {
  counter += 1;
  return {
    id: `s${process.pid}-${counter}`, node: 'node-a', kind, user, src: '203.0.113.7:50000', target: 'db1', login: null,
    destination: '10.0.2.5:22', via: null, startedAt: new Date().toISOString(), endedAt: null, reason: null, bytesUp: 0, bytesDown: 0,
  };
}

before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'jumpgate-sessions-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('SqliteSessionStore.start registers a session only below the per-user limit', () => {
  let stores: Stores;
  before(() => {
    stores = openSqliteStores(path.join(dir, 'one.db'));
  });
  after(async () => stores.close());

  test('every kind counts; ended sessions and other users do not', async () => {
    const limit = { maxLivePerUser: 3 };
    const first = record('alice', 'jump');
    assert.equal(await stores.sessions.start(first, limit), true);
    assert.equal(await stores.sessions.start(record('alice', 'forward'), limit), true);
    assert.equal(await stores.sessions.start(record('alice', 'sftp'), limit), true);
    const refused = record('alice', 'session');
    assert.equal(await stores.sessions.start(refused, limit), false);
    assert.equal(await stores.sessions.get(refused.id), null, 'a refused session left a row');
    assert.equal(await stores.sessions.start(record('bob'), limit), true);

    await stores.sessions.end(first.id, { endedAt: new Date().toISOString(), reason: 'closed', bytesUp: 0, bytesDown: 0 });
    assert.equal(await stores.sessions.start(record('alice', 'session'), limit), true);
    assert.equal(await stores.sessions.start(record('alice'), limit), false);
  });
});

test('processes racing on one store never pass the limit together', { timeout: 60_000 }, async () => {
  const file = path.join(dir, 'race.db');
  await openSqliteStores(file).close();
  const storesModule = path.join(path.dirname(fileURLToPath(import.meta.url)), 'sqlite-stores.js');
  // Each process tries 40 registrations for alice as fast as it can, against a limit of 10.
  const script = `
    const { openSqliteStores } = await import(${JSON.stringify(storesModule)});
    const stores = openSqliteStores(${JSON.stringify(file)});
    let admitted = 0;
    for (let i = 0; i < 40; i++) {
      const id = process.pid + '-' + i;
      const ok = await stores.sessions.start({ id, node: 'n', kind: 'jump', user: 'alice', src: 's', target: 't', login: null,
        destination: 'd', via: null, startedAt: new Date().toISOString(), endedAt: null, reason: null, bytesUp: 0, bytesDown: 0 }, { maxLivePerUser: 10 });
      if (ok) admitted += 1;
    }
    await stores.close();
    process.stdout.write(String(admitted));
  `;
  const runOne = () => new Promise<number>((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], { timeout: 30_000 }, (error: Error | null, stdout) => (error ? reject(error) : resolve(Number(stdout))));
  });
  const admitted = await Promise.all([runOne(), runOne(), runOne(), runOne()]);
  assert.equal(admitted.reduce((a, b) => a + b, 0), 10, `admitted per process: ${admitted.join(', ')}`);
  const stores = openSqliteStores(file);
  try {
    assert.equal((await stores.sessions.list({ includeEnded: false })).length, 10);
  } finally {
    await stores.close();
  }
});
