import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CONTRACT_TIMEOUT_MS, withStores, type StoreHarness } from './store-harness.js';
import type { RdpTokenRecord } from '../store.js';

const NOW = new Date('2026-06-01T12:00:00.000Z');
const at = (minutes: number): string => new Date(NOW.getTime() + minutes * 60_000).toISOString();
const token = (idHash: string, expiresIn: number): RdpTokenRecord => ({ idHash, user: 'alice', target: 'win1', expiresAt: at(expiresIn), createdAt: at(0) });

export function rdpTokenStoreContract(harness: StoreHarness): void {
  describe('RdpTokenStore', () => {
    test('a token is claimed once, on any instance, and not after it expires', { timeout: CONTRACT_TIMEOUT_MS }, () =>
      withStores(harness, 'rdp-tokens', 2, async ([one, two]) => {
        await one.rdpTokens.add(token('a1', 5), NOW);
        await one.rdpTokens.add(token('b2', 5), NOW);
        assert.deepEqual(await two.rdpTokens.claim('a1', NOW), { claimed: true, token: token('a1', 5) }, 'another instance (node) claims it');
        assert.deepEqual(await one.rdpTokens.claim('a1', NOW), { claimed: false, reason: 'used' });
        assert.deepEqual(await one.rdpTokens.claim('zz', NOW), { claimed: false, reason: 'unknown' });
        assert.deepEqual(await one.rdpTokens.claim('b2', new Date(at(6))), { claimed: false, reason: 'expired' });
        // Issuing later forgets what has expired: the table does not grow without bound.
        await one.rdpTokens.add(token('c3', 5), new Date(at(10)));
        assert.deepEqual(await two.rdpTokens.claim('b2', new Date(at(10))), { claimed: false, reason: 'unknown' });
      }));

    test('of concurrent claims of one token exactly one succeeds', { timeout: CONTRACT_TIMEOUT_MS }, () =>
      withStores(harness, 'rdp-token-race', 3, async (instances) => {
        await instances[0].rdpTokens.add(token('race', 5), NOW);
        const results = await Promise.all([...instances, ...instances].map((stores) => stores.rdpTokens.claim('race', NOW)));
        assert.equal(results.filter((r) => r.claimed).length, 1);
        assert.ok(results.every((r) => r.claimed || r.reason === 'used'));
      }));
  });
}
