import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { SessionRecord } from '../../domain/session.js';
import type { SessionAudit, StoredAuditEvent } from '../store.js';
import { findChainBreak } from '../../audit/hash-chain.js';
import { CONTRACT_TIMEOUT_MS, sealAs, withStores, type StoreHarness } from './store-harness.js';

const session = (id: string, node: string, startedAt: string): SessionRecord => ({
  id, node, kind: 'jump', user: 'alice', src: '192.0.2.1:50000', target: 'db1', login: null, destination: '10.0.2.5:22',
  via: 'dmz-jump#1a2b', startedAt, endedAt: null, reason: null, bytesUp: 0, bytesDown: 0,
});

const unlimited = { maxLivePerUser: 1000 };

/** The session.start and session.end of session `id`, as the gateway of `node` writes them. */
const about = { user: 'alice', src: '192.0.2.1:50000', kind: 'jump', target: 'db1', login: null, destination: '10.0.2.5:22' } as const;
const started = (id: string, node = 'node-a'): SessionAudit => ({ draft: { type: 'session.start', ...about, session: id }, seal: sealAs(node) });
const endEvent = (id: string, node = 'node-a'): SessionAudit => ({
  draft: { type: 'session.end', ...about, session: id, duration_ms: 1, bytes_up: 0, bytes_down: 0, exit_status: null, recording: null, reason: 'closed' },
  seal: sealAs(node),
});
const sessionOf = (event: StoredAuditEvent | null): unknown => (event as { session?: unknown } | null)?.session;

export function sessionStoreContract(harness: StoreHarness): void {
  describe('SessionStore', () => {
    test('concurrent starts from two nodes register exactly the per-user limit', { timeout: CONTRACT_TIMEOUT_MS }, () =>
      withStores(harness, 'session-limit', 2, async ([nodeA, nodeB]) => {
        const starts = Array.from({ length: 12 }, (_, i) =>
          (i % 2 === 0 ? nodeA : nodeB).sessions.start(session(`q${i}`, i % 2 === 0 ? 'node-a' : 'node-b', `2026-06-01T12:00:${String(i).padStart(2, '0')}.000Z`), { maxLivePerUser: 3 }, started(`q${i}`)));
        const admitted = (await Promise.all(starts)).filter(Boolean);
        assert.equal(admitted.length, 3);
        const live = await nodeA.sessions.list({ includeEnded: false });
        assert.equal(live.length, 3);
        assert.deepEqual(admitted.map(sessionOf).sort(), live.map((s) => s.id).sort(), 'a session.start for each admitted session');
        assert.equal(await nodeB.sessions.start(session('late', 'node-b', '2026-06-01T12:11:00.000Z'), { maxLivePerUser: 3 }, started('late')), null);
        // The slot an ended session frees is taken by the next start (the positive control).
        await nodeA.sessions.end(live[0].id, { endedAt: '2026-06-01T12:10:00.000Z', reason: 'closed', bytesUp: 0, bytesDown: 0 }, endEvent(live[0].id));
        assert.equal(sessionOf(await nodeB.sessions.start(session('late', 'node-b', '2026-06-01T12:11:00.000Z'), { maxLivePerUser: 3 }, started('late'))), 'late');
        const events = await nodeB.audit.list({});
        const written = events.map((e) => `${e.type} ${String(sessionOf(e))}`);
        assert.deepEqual(written.slice(0, 3).sort(), admitted.map((e) => `session.start ${String(sessionOf(e))}`).sort(), 'the refused starts wrote no event');
        assert.deepEqual(written.slice(3), [`session.end ${live[0].id}`, 'session.start late']);
        assert.equal(findChainBreak(events.map(({ seq: _seq, ...event }) => event)), null, 'one chain, in commit order');
      }));

    test('a session row is not written when its event cannot be', { timeout: CONTRACT_TIMEOUT_MS }, () =>
      withStores(harness, 'session-fail-closed', 1, async ([node]) => {
        const broken: SessionAudit = { ...started('x'), seal: () => { throw new Error('cannot seal'); } };
        await assert.rejects(node.sessions.start(session('x', 'node-a', '2026-06-01T12:00:00.000Z'), unlimited, broken), /cannot seal/);
        assert.equal(await node.sessions.get('x'), null);
        await node.sessions.start(session('y', 'node-a', '2026-06-01T12:00:00.000Z'), unlimited, started('y'));
        const end = { endedAt: '2026-06-01T12:05:00.000Z', reason: 'closed' as const, bytesUp: 0, bytesDown: 0 };
        await assert.rejects(node.sessions.end('y', end, { ...endEvent('y'), seal: broken.seal }), /cannot seal/);
        assert.equal((await node.sessions.get('y'))?.endedAt, null, 'still live: its end was not recorded');
        assert.deepEqual((await node.audit.list({})).map((e) => e.type), ['session.start']);
      }));

    test('sessions of every node are listed, ended once, and asked to end from anywhere', { timeout: CONTRACT_TIMEOUT_MS }, () =>
      withStores(harness, 'sessions', 2, async ([nodeA, nodeB]) => {
        await nodeA.sessions.start(session('s1', 'node-a', '2026-06-01T12:00:00.000Z'), unlimited, started('s1'));
        await nodeB.sessions.start(session('s2', 'node-b', '2026-06-01T12:00:01.000Z'), unlimited, started('s2', 'node-b'));
        await nodeA.sessions.start(session('s3', 'node-a', '2026-06-01T12:00:02.000Z'), unlimited, started('s3'));
        assert.deepEqual(await nodeB.sessions.get('s1'), session('s1', 'node-a', '2026-06-01T12:00:00.000Z'));
        assert.deepEqual((await nodeB.sessions.list({ includeEnded: false })).map((s) => s.id), ['s1', 's2', 's3']);

        const end = { endedAt: '2026-06-01T12:05:00.000Z', reason: 'closed' as const, bytesUp: 2 ** 40, bytesDown: 12 };
        assert.equal((await nodeA.sessions.end('s1', end, endEvent('s1')))?.type, 'session.end');
        assert.equal(await nodeA.sessions.end('s1', { ...end, reason: 'error', bytesUp: 0 }, endEvent('s1')), null, 'no second session.end');
        const ended = await nodeB.sessions.get('s1');
        assert.equal(ended?.reason, 'closed', 'ended once');
        assert.equal(ended?.bytesUp, 2 ** 40, 'counts beyond 32 bits');
        assert.deepEqual((await nodeB.sessions.list({ includeEnded: false })).map((s) => s.id), ['s2', 's3']);
        assert.deepEqual((await nodeB.sessions.list({ includeEnded: true })).map((s) => s.id), ['s1', 's2', 's3']);

        assert.equal(await nodeB.sessions.requestKill('s3'), true);
        assert.equal(await nodeB.sessions.requestKill('s1'), false, 'an ended session');
        assert.equal(await nodeB.sessions.requestKill('nope'), false);
        assert.deepEqual(await nodeA.sessions.killRequests('node-a'), ['s3']);
        assert.deepEqual(await nodeA.sessions.killRequests('node-b'), []);

        const orphans = await nodeA.sessions.endOrphans('node-a', { endedAt: '2026-06-01T13:00:00.000Z', reason: 'error', bytesUp: 0, bytesDown: 0 });
        assert.deepEqual(orphans.map((s) => [s.id, s.reason, s.endedAt]), [['s3', 'error', '2026-06-01T13:00:00.000Z']], 'the sessions it ended, to audit');
        assert.deepEqual(await nodeB.sessions.endOrphans('node-a', { endedAt: '2026-06-01T13:00:01.000Z', reason: 'node_lost', bytesUp: 0, bytesDown: 0 }), [], 'ended once');
        assert.equal((await nodeB.sessions.get('s3'))?.reason, 'error');
        assert.equal((await nodeB.sessions.get('s2'))?.endedAt, null, 'another node\'s session is not an orphan');
      }));

    test('a dead worker process\'s sessions end without its sibling\'s', { timeout: CONTRACT_TIMEOUT_MS }, () =>
      withStores(harness, 'session-workers', 1, async ([node]) => {
        await node.sessions.start(session('w1', 'node-a', '2026-06-01T12:00:00.000Z'), unlimited, started('w1'), 4101);
        await node.sessions.start(session('w2', 'node-a', '2026-06-01T12:00:01.000Z'), unlimited, started('w2'), 4102);
        await node.sessions.start(session('w3', 'node-a', '2026-06-01T12:00:02.000Z'), unlimited, started('w3'), 4101);
        await node.sessions.start(session('b1', 'node-b', '2026-06-01T12:00:03.000Z'), unlimited, started('b1'), 4101);
        const end = { endedAt: '2026-06-01T13:00:00.000Z', reason: 'error' as const, bytesUp: 0, bytesDown: 0 };
        assert.deepEqual((await node.sessions.endOrphans('node-a', end, 4101)).map((s) => s.id).sort(), ['w1', 'w3']);
        assert.deepEqual((await node.sessions.list({ includeEnded: false })).map((s) => s.id), ['w2', 'b1'], 'the other worker\'s and the other node\'s stay live');
        assert.deepEqual((await node.sessions.endOrphans('node-a', end)).map((s) => s.id), ['w2'], 'without a worker: all of the node\'s');
      }));
  });
}
