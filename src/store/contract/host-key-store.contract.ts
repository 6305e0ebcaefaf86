import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KnownHostKey } from '../store.js';
import { CONTRACT_TIMEOUT_MS, withStores, type StoreHarness } from './store-harness.js';

const key = (name: string, n: number): KnownHostKey => ({
  name, fingerprint: `SHA256:${String(n).padStart(43, 'A')}`, keyType: 'ssh-ed25519',
  firstSeen: `2026-01-01T00:00:0${n % 10}.000Z`, updatedAt: `2026-01-01T00:00:0${n % 10}.000Z`,
});

export function hostKeyStoreContract(harness: StoreHarness): void {
  describe('HostKeyStore', () => {
    test('keys are put, replaced, listed and deleted', { timeout: CONTRACT_TIMEOUT_MS }, () =>
      withStores(harness, 'host-keys', 1, async ([{ hostKeys }]) => {
        await hostKeys.put(key('db2', 2));
        await hostKeys.put(key('db1', 1));
        assert.deepEqual(await hostKeys.get('db1'), key('db1', 1));
        assert.deepEqual((await hostKeys.list()).map((k) => k.name), ['db1', 'db2']);
        await hostKeys.put({ ...key('db1', 3), firstSeen: 'ignored' });
        const replaced = await hostKeys.get('db1');
        assert.equal(replaced?.fingerprint, key('db1', 3).fingerprint);
        assert.equal(replaced?.firstSeen, key('db1', 1).firstSeen, 'first seen stays the first time');
        await hostKeys.delete('db1');
        assert.equal(await hostKeys.get('db1'), null);
      }));

    test('learn records the first key and afterwards returns it, never the one offered', { timeout: CONTRACT_TIMEOUT_MS }, () =>
      withStores(harness, 'host-key-learn', 1, async ([{ hostKeys }]) => {
        assert.deepEqual(await hostKeys.learn(key('db1', 1)), { known: key('db1', 1), learnt: true });
        assert.deepEqual(await hostKeys.learn(key('db1', 2)), { known: key('db1', 1), learnt: false });
        assert.deepEqual(await hostKeys.get('db1'), key('db1', 1));
        await hostKeys.delete('db1');
        assert.deepEqual(await hostKeys.learn(key('db1', 2)), { known: key('db1', 2), learnt: true }, 'a forgotten key is learnt afresh');
      }));

    test('concurrent first connections from two store instances agree on one key', { timeout: CONTRACT_TIMEOUT_MS }, () =>
      withStores(harness, 'host-key-race', 2, async ([one, two]) => {
        const results = await Promise.all(Array.from({ length: 10 }, (_, n) => (n % 2 ? one : two).hostKeys.learn(key('db1', n))));
        assert.equal(results.filter((r) => r.learnt).length, 1, 'exactly one learnt');
        const winner = results.find((r) => r.learnt)!.known;
        assert.ok(results.every((r) => r.known.fingerprint === winner.fingerprint), 'every caller checks against the one key');
        assert.deepEqual(await one.hostKeys.get('db1'), winner);
      }));
  });
}
