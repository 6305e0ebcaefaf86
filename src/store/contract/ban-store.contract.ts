import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CONTRACT_TIMEOUT_MS, withStores, type StoreHarness } from './store-harness.js';

const NOW = new Date('2026-06-01T12:00:00.000Z');
const at = (minutes: number): string => new Date(NOW.getTime() + minutes * 60_000).toISOString();

export function banStoreContract(harness: StoreHarness): void {
  describe('BanStore', () => {
    test('a ban is in force until its time, can be renewed and lifted', { timeout: CONTRACT_TIMEOUT_MS }, () =>
      withStores(harness, 'bans', 2, async ([one, two]) => {
        await one.bans.add({ address: '192.0.2.7', until: at(30), reason: '5 authentication failures', createdAt: at(0) });
        await one.bans.add({ address: 'user:alice', until: at(30), reason: '5 authentication failures for alice', createdAt: at(1) });
        await one.bans.add({ address: '192.0.2.8', until: at(-1), reason: 'expired', createdAt: at(-31) });
        assert.deepEqual(await two.bans.active('192.0.2.7', NOW), { address: '192.0.2.7', until: at(30), reason: '5 authentication failures', createdAt: at(0) },
          'another instance (node) sees it at once');
        assert.equal(await two.bans.active('192.0.2.7', new Date(at(31))), null, 'not after its time');
        assert.equal(await two.bans.active('192.0.2.8', NOW), null);
        assert.deepEqual((await two.bans.list(NOW)).map((ban) => ban.address), ['192.0.2.7', 'user:alice']);

        await one.bans.add({ address: '192.0.2.7', until: at(60), reason: 'again', createdAt: at(2) });
        assert.equal((await two.bans.active('192.0.2.7', new Date(at(45))))?.reason, 'again');
        assert.equal(await two.bans.remove('192.0.2.7'), true);
        assert.equal(await two.bans.remove('192.0.2.7'), false);
        assert.equal(await one.bans.active('192.0.2.7', NOW), null);
      }));
  });
}
