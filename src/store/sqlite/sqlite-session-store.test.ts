import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openSqliteStores } from './sqlite-stores.js';
import type { SessionAudit, Stores } from '../store.js';
import type { SessionRecord } from '../../domain/session.js';
import { sealEvent } from '../../audit/hash-chain.js';

let dir = '';
let counter = 0;

function record(user: string, kind: SessionRecord['kind'] = 'jump'): SessionRecord {
  counter += 1;
  return {
    id: `s${process.pid}-${counter}`, node: 'node-a', kind, user, src: '203.0.113.7:50000', target: 'db1', login: null,
    destination: '10.0.2.5:22', via: null, startedAt: new Date().toISOString(), endedAt: null, reason: null, bytesUp: 0, bytesDown: 0,
  };
}

const about = { user: 'alice', src: null, kind: 'jump', target: 'db1', login: null, destination: '10.0.2.5:22' } as const;
const seal: SessionAudit['seal'] = (draft, prev) => sealEvent(draft, prev, 'node-a');
const startEvent = (session: string): SessionAudit => ({ draft: { type: 'session.start', ...about, session }, seal });
const endEvent = (session: string): SessionAudit => ({
  draft: { type: 'session.end', ...about, session, duration_ms: 1, bytes_up: 0, bytes_down: 0, exit_status: null, recording: null, reason: 'closed' },
  seal,
});

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
    const start = async (session: SessionRecord) => (await stores.sessions.start(session, limit, startEvent(session.id))) !== null;
    assert.equal(await start(first), true);
    assert.equal(await start(record('alice', 'forward')), true);
    assert.equal(await start(record('alice', 'sftp')), true);
    const refused = record('alice', 'session');
    assert.equal(await start(refused), false);
    assert.equal(await stores.sessions.get(refused.id), null, 'a refused session left a row');
    assert.equal(await start(record('bob')), true);

    await stores.sessions.end(first.id, { endedAt: new Date().toISOString(), reason: 'closed', bytesUp: 0, bytesDown: 0 }, endEvent(first.id));
    assert.equal(await start(record('alice', 'session')), true);
    assert.equal(await start(record('alice')), false);
  });
});

test('processes racing on one store never pass the limit together', { timeout: 60_000 }, async () => {
  const file = path.join(dir, 'race.db');
  await openSqliteStores(file).close();
  const here = path.dirname(fileURLToPath(import.meta.url));
  const storesModule = path.join(here, 'sqlite-stores.js');
  const hashChainModule = path.join(here, '../../audit/hash-chain.js');
  // Each process tries 40 registrations for alice as fast as it can, against a limit of 10.
  const script = `
    const { openSqliteStores } = await import(${JSON.stringify(storesModule)});
    const { sealEvent } = await import(${JSON.stringify(hashChainModule)});
    const stores = openSqliteStores(${JSON.stringify(file)});
    let admitted = 0;
    for (let i = 0; i < 40; i++) {
      const id = process.pid + '-' + i;
      const ok = await stores.sessions.start({ id, node: 'n', kind: 'jump', user: 'alice', src: 's', target: 't', login: null,
        destination: 'd', via: null, startedAt: new Date().toISOString(), endedAt: null, reason: null, bytesUp: 0, bytesDown: 0 }, { maxLivePerUser: 10 },
        { draft: { type: 'session.start', user: 'alice', src: null, session: id, kind: 'jump', target: 't', login: null, destination: 'd' }, seal: (draft, prev) => sealEvent(draft, prev, 'n') });
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
