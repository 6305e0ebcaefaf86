import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuditEvent } from '../../audit/events.js';
import { GENESIS, findChainBreak } from '../../audit/hash-chain.js';
import type { AuditStore } from '../store.js';
import { CONTRACT_TIMEOUT_MS, changeDraft, sealAs, withStores, type StoreHarness } from './store-harness.js';

/** Every stored row, parsed, in chain order. */
async function chainOf(store: AuditStore): Promise<AuditEvent[]> {
  const events: AuditEvent[] = [];
  for (let after = 0; ;) {
    const rows = await store.rows(after, 7);
    if (rows.length === 0) return events;
    events.push(...rows.map((row) => JSON.parse(row.body) as AuditEvent));
    after = rows[rows.length - 1].seq;
  }
}

export function auditStoreContract(harness: StoreHarness): void {
  describe('AuditStore', () => {
    test('an empty store\'s chain starts at the genesis hash', { timeout: CONTRACT_TIMEOUT_MS }, () =>
      withStores(harness, 'audit-empty', 1, async ([stores]) => {
        assert.equal(await stores.audit.head(), GENESIS);
        assert.deepEqual(await stores.audit.rows(0, 10), []);
        assert.deepEqual(await stores.audit.list({}), []);
      }));

    test('append seals each draft on the head and keeps the body byte for byte', { timeout: CONTRACT_TIMEOUT_MS }, () =>
      withStores(harness, 'audit-append', 1, async ([stores]) => {
        const sealed = [];
        for (const name of ['db1', 'db2', 'db3']) sealed.push(await stores.audit.append(changeDraft(name), sealAs('node-a')));
        assert.equal(sealed[0].prev, GENESIS);
        assert.equal(sealed[1].prev, sealed[0].hash);
        assert.equal(sealed[2].prev, sealed[1].hash);
        assert.ok(sealed[0].seq < sealed[1].seq && sealed[1].seq < sealed[2].seq, 'seq grows in chain order');
        assert.equal(await stores.audit.head(), sealed[2].hash);
        const rows = await stores.audit.rows(0, 10);
        assert.deepEqual(rows.map((row) => row.seq), sealed.map((event) => event.seq));
        for (const [index, row] of rows.entries()) {
          const { seq: _seq, ...event } = sealed[index];
          assert.equal(row.body, JSON.stringify(event), 'the body is stored exactly as sealed');
          assert.equal(row.id, event.id);
          assert.equal(row.hash, event.hash);
          assert.equal(row.node, 'node-a');
        }
        assert.deepEqual((await stores.audit.rows(sealed[0].seq, 1)).map((row) => row.id), [sealed[1].id], 'rows pages by seq');
      }));

    test('list filters by type or type prefix, user, node, time, position and count', { timeout: CONTRACT_TIMEOUT_MS }, () =>
      withStores(harness, 'audit-list', 1, async ([stores]) => {
        const a = sealAs('node-a');
        const b = sealAs('node-b');
        const first = await stores.audit.append({ type: 'auth.failure', user: 'alice', src: '192.0.2.1:5000', method: 'publickey', reason: 'unknown key' }, a);
        await stores.audit.append({ type: 'session.start', user: 'alice', src: '192.0.2.1:5001', session: 's1', kind: 'jump', target: 'db1', login: null, destination: 'db1:22' }, b);
        await stores.audit.append({ type: 'session.end', user: 'bob', src: '192.0.2.2:5002', session: 's2', kind: 'jump', target: 'db1', login: null, destination: 'db1:22',
          duration_ms: 5, bytes_up: 1, bytes_down: 2, exit_status: 0, recording: null, reason: 'closed' }, a);
        await stores.audit.append({ type: 'sessionless', user: 'carol', src: null } as never, a);
        const types = async (filter: Parameters<AuditStore['list']>[0]) => (await stores.audit.list(filter)).map((event) => event.type);
        assert.deepEqual(await types({ type: 'session' }), ['session.start', 'session.end'], '`session` is a prefix up to a dot only');
        assert.deepEqual(await types({ type: 'session.end' }), ['session.end']);
        assert.deepEqual(await types({ user: 'alice' }), ['auth.failure', 'session.start']);
        assert.deepEqual(await types({ node: 'node-b' }), ['session.start']);
        assert.deepEqual(await types({ afterSeq: first.seq, limit: 2 }), ['session.start', 'session.end']);
        assert.deepEqual(await types({ since: '2999-01-01T00:00:00.000Z' }), []);
        assert.equal((await stores.audit.list({ since: first.ts })).length, 4);
        const [listed] = await stores.audit.list({ user: 'bob' });
        assert.equal(listed.type === 'session.end' ? listed.bytes_down : null, 2, 'the event comes back whole');
      }));

    test('a seal that throws commits nothing', { timeout: CONTRACT_TIMEOUT_MS }, () =>
      withStores(harness, 'audit-seal-throws', 1, async ([stores]) => {
        await assert.rejects(stores.audit.append(changeDraft('db1'), () => { throw new Error('no seal'); }), /no seal/);
        assert.equal(await stores.audit.head(), GENESIS);
        assert.deepEqual(await stores.audit.rows(0, 10), []);
        const next = await stores.audit.append(changeDraft('db1'), sealAs('node-a'));
        assert.equal(next.prev, GENESIS);
      }));

    test('20 concurrent appends from two store instances give one unbroken chain', { timeout: CONTRACT_TIMEOUT_MS }, () =>
      withStores(harness, 'audit-concurrent', 2, async ([one, two]) => {
        const appended = await Promise.all(Array.from({ length: 20 }, (_, i) =>
          (i % 2 === 0 ? one : two).audit.append(changeDraft(`t${i}`), sealAs(i % 2 === 0 ? 'node-a' : 'node-b'))));
        const chain = await chainOf(one.audit);
        assert.equal(chain.length, 20);
        assert.equal(findChainBreak(chain, GENESIS), null, 'every event seals on the one before it');
        assert.equal(new Set(chain.map((event) => event.prev)).size, 20, 'no two events sealed on one head');
        assert.deepEqual(new Set(chain.map((event) => event.id)), new Set(appended.map((event) => event.id)));
        assert.equal(await one.audit.head(), chain[19].hash);
        assert.equal(await two.audit.head(), chain[19].hash);
      }));
  });
}
