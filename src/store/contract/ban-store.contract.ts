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

    test('failures counted on two nodes reach the threshold once per five, and only within the window', { timeout: CONTRACT_TIMEOUT_MS }, () =>
      withStores(harness, 'auth-failures', 2, async ([one, two]) => {
        const failures = Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? one : two).bans.recordFailure('192.0.2.9', at(0), at(-10), 5));
        const reached = (await Promise.all(failures)).filter(Boolean).length;
        assert.equal(reached, 2, 'twelve failures: the fifth and the tenth reach the threshold, each for one caller');
        // Two are left; failures of other keys do not count toward it.
        assert.equal(await one.bans.recordFailure('user:alice', at(0), at(-10), 5), false);
        assert.equal(await one.bans.recordFailure('192.0.2.9', at(1), at(-9), 5), false);
        assert.equal(await two.bans.recordFailure('192.0.2.9', at(1), at(-9), 5), false);
        assert.equal(await two.bans.recordFailure('192.0.2.9', at(2), at(-8), 5), true, 'the positive control: the fifth within the window');
        // Failures older than the window are forgotten.
        for (let i = 0; i < 4; i++) assert.equal(await one.bans.recordFailure('192.0.2.10', at(0), at(-10), 5), false);
        assert.equal(await two.bans.recordFailure('192.0.2.10', at(11), at(1), 5), false, 'the four of minute 0 are out of the window');
      }));
  });
}
