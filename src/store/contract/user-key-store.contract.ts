import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { UserKeyEntry } from '../store.js';
import { CONTRACT_TIMEOUT_MS, withStores, type StoreHarness } from './store-harness.js';

const entry = (list: UserKeyEntry['list'], key: string, addedAt: string): UserKeyEntry => ({
  list, key, fingerprint: `SHA256:${key}`, line: `ssh-ed25519 ${key} ops@example`, addedAt, addedBy: 'cli:ops',
});

export function userKeyStoreContract(harness: StoreHarness): void {
  describe('UserKeyListStore', () => {
    test('a key added on one node is on its list for every node, once', { timeout: CONTRACT_TIMEOUT_MS }, () =>
      withStores(harness, 'user-keys', 2, async ([nodeA, nodeB]) => {
        assert.deepEqual(await nodeB.userKeys.list(), []);
        const added = await Promise.all([
          nodeA.userKeys.add(entry('revoked', 'AAAA', '2026-06-01T12:00:00.000Z')),
          nodeB.userKeys.add(entry('revoked', 'AAAA', '2026-06-01T12:00:00.500Z')),
        ]);
        assert.deepEqual(added.sort(), [false, true], 'two nodes adding one key: one adds it');
        // The same key on the other list is another entry (a CA key may also be revoked).
        assert.equal(await nodeA.userKeys.add(entry('trusted-ca', 'AAAA', '2026-06-01T12:01:00.000Z')), true);
        assert.equal(await nodeA.userKeys.add(entry('trusted-ca', 'BBBB', '2026-06-01T12:02:00.000Z')), true);
        const listed = await nodeB.userKeys.list();
        assert.deepEqual(listed.map((e) => [e.list, e.key]), [['revoked', 'AAAA'], ['trusted-ca', 'AAAA'], ['trusted-ca', 'BBBB']]);
        assert.deepEqual(listed[2], entry('trusted-ca', 'BBBB', '2026-06-01T12:02:00.000Z'));
      }));
  });
}
