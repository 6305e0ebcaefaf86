import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CONTRACT_TIMEOUT_MS, withStores, type StoreHarness } from './store-harness.js';

export function recordingStoreContract(harness: StoreHarness): void {
  describe('RecordingStore', () => {
    test('chunks written by one node read back from another, in order, each once', { timeout: CONTRACT_TIMEOUT_MS }, () =>
      withStores(harness, 'recordings', 2, async ([nodeA, nodeB]) => {
        assert.equal(await nodeB.recordings.read('s1'), null);
        const binary = Buffer.from([0, 0xff, 0x1b, 0x5b, 0x0a]);
        await nodeA.recordings.append('s1', 0, Buffer.from('{"version":2}\n'));
        await nodeA.recordings.append('s1', 2, binary);
        await nodeA.recordings.append('s1', 1, Buffer.from('[0.1,"o","hi"]\n'));
        await nodeA.recordings.append('s1', 1, Buffer.from('[0.1,"o","hi"]\n'));
        await nodeA.recordings.append('s2', 0, Buffer.from('other'));
        assert.deepEqual(await nodeB.recordings.read('s1'), Buffer.concat([Buffer.from('{"version":2}\n[0.1,"o","hi"]\n'), binary]));
        assert.deepEqual([...await nodeB.recordings.recorded(['s2', 'nope', 's1'])].sort(), ['s1', 's2']);
        assert.deepEqual([...await nodeB.recordings.recorded([])], []);
      }));
  });
}
