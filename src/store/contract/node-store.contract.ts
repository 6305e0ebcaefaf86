import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CONTRACT_TIMEOUT_MS, withStores, type StoreHarness } from './store-harness.js';

const node = (name: string, startedAt: string) => ({ name, address: '192.0.2.10:2222', version: '1.0.0', startedAt });

export function nodeStoreContract(harness: StoreHarness): void {
  describe('NodeStore', () => {
    test('heartbeats move a node\'s count; a node is declared dead once, only if its heartbeat stood still', { timeout: CONTRACT_TIMEOUT_MS }, () =>
      withStores(harness, 'nodes', 2, async ([nodeA, nodeB]) => {
        await nodeA.nodes.up(node('a', '2026-06-01T12:00:00.000Z'));
        await nodeB.nodes.up(node('b', '2026-06-01T12:00:00.500Z'));
        assert.equal(await nodeA.nodes.beat('a', '2026-06-01T12:00:05.000Z'), true);
        const [a, b] = await nodeB.nodes.list();
        assert.deepEqual(a, { ...node('a', '2026-06-01T12:00:00.000Z'), heartbeatAt: '2026-06-01T12:00:05.000Z', beats: 1, downAt: null, downReason: null });
        assert.equal(b.name, 'b');

        // B saw A at 1 beat; A beats again before B acts: B's stale view declares nothing.
        assert.equal(await nodeA.nodes.beat('a', '2026-06-01T12:00:10.000Z'), true);
        assert.equal(await nodeB.nodes.markDown('a', 1, '2026-06-01T12:00:40.000Z', 'lost'), false);
        // The positive control: with the count it last saw, one of two racing nodes wins.
        const wins = await Promise.all([nodeB.nodes.markDown('a', 2, '2026-06-01T12:00:41.000Z', 'lost'), nodeB.nodes.markDown('a', 2, '2026-06-01T12:00:41.000Z', 'lost')]);
        assert.deepEqual(wins.sort(), [false, true]);
        assert.equal((await nodeA.nodes.list())[0].downReason, 'lost');
        assert.equal(await nodeA.nodes.beat('a', '2026-06-01T12:00:42.000Z'), false, 'a node declared dead learns it from its next heartbeat');

        // Back up: a new life, seen by the others.
        await nodeA.nodes.up(node('a', '2026-06-01T12:01:00.000Z'));
        const [again] = await nodeB.nodes.list();
        assert.equal(again.downAt, null);
        assert.equal(again.startedAt, '2026-06-01T12:01:00.000Z');
        assert.equal(await nodeA.nodes.beat('a', '2026-06-01T12:01:05.000Z'), true);
        assert.equal(await nodeA.nodes.markDown('a', null, '2026-06-01T12:02:00.000Z', 'shutdown'), true, 'a clean stop needs no count');
        assert.equal((await nodeB.nodes.list())[0].downReason, 'shutdown');
      }));
  });
}
