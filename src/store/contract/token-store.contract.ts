import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CONTRACT_TIMEOUT_MS, withStores, type StoreHarness } from './store-harness.js';
import type { ApiToken } from '../store.js';

const token = (name: string, tokenHash: string, admin: 'read' | 'write' = 'read'): ApiToken => ({
  name, tokenHash, admin, createdAt: '2026-06-01T12:00:00.000Z', createdBy: 'cli:root', expiresAt: admin === 'read' ? '2026-09-01T12:00:00.000Z' : null,
});

export function tokenStoreContract(harness: StoreHarness): void {
  describe('TokenStore', () => {
    test('a token is found by its hash on every instance, its name is taken once, and a revoked one is gone', { timeout: CONTRACT_TIMEOUT_MS }, () =>
      withStores(harness, 'tokens', 2, async ([one, two]) => {
        assert.equal(await one.tokens.create(token('ci', 'a'.repeat(64))), true);
        assert.equal(await two.tokens.create(token('ci', 'b'.repeat(64), 'write')), false, 'a name is taken once');
        assert.equal(await two.tokens.create(token('backup', 'c'.repeat(64), 'write')), true);
        assert.deepEqual(await two.tokens.byHash('a'.repeat(64)), token('ci', 'a'.repeat(64)));
        assert.equal(await two.tokens.byHash('b'.repeat(64)), null);
        assert.deepEqual((await one.tokens.list()).map((t) => [t.name, t.admin, t.expiresAt]), [['backup', 'write', null], ['ci', 'read', '2026-09-01T12:00:00.000Z']]);
        assert.equal(await two.tokens.revoke('ci'), true);
        assert.equal(await two.tokens.revoke('ci'), false);
        assert.equal(await one.tokens.byHash('a'.repeat(64)), null, 'revoked everywhere at once');
      }));
  });
}
