import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { StoredCredential } from '../../domain/credential.js';
import type { SealedSecret } from '../store.js';
import { CONTRACT_TIMEOUT_MS, withStores, type StoreHarness } from './store-harness.js';

const credential = (name: string, sealed: string): StoredCredential => ({
  kind: 'Credential', name, type: 'privateKey', sealed, publicKey: 'ssh-ed25519 AAAA', updatedAt: '2026-01-01T00:00:00.000Z',
});

export function sealedSecretStoreContract(harness: StoreHarness): void {
  describe('SealedSecretStore', () => {
    test('lists every sealed value, credentials and TOTP secrets', { timeout: CONTRACT_TIMEOUT_MS }, () =>
      withStores(harness, 'sealed-list', 1, async ([stores]) => {
        await stores.applyChanges([{ op: 'put', resource: credential('hop-key', 'v1:k1:HOP') }, { op: 'put', resource: credential('db-key', 'v1:k1:DB') }]);
        await stores.factors.setTotp('alice', 'v1:k1:TOTP', []);
        await stores.factors.setPassword('bob', '$argon2id$x');
        const listed = await stores.sealedSecrets.list();
        assert.deepEqual(listed, [
          { owner: { kind: 'credential', name: 'db-key' }, sealed: 'v1:k1:DB' },
          { owner: { kind: 'credential', name: 'hop-key' }, sealed: 'v1:k1:HOP' },
          { owner: { kind: 'totp', user: 'alice' }, sealed: 'v1:k1:TOTP' },
        ]);
      }));

    test('replace swaps every value still as listed, and leaves the rest of the record alone', { timeout: CONTRACT_TIMEOUT_MS }, () =>
      withStores(harness, 'sealed-replace', 1, async ([stores]) => {
        await stores.applyChanges([{ op: 'put', resource: credential('db-key', 'v1:k1:DB') }]);
        await stores.factors.setTotp('alice', 'v1:k1:TOTP', ['$argon2id$code']);
        const listed = await stores.sealedSecrets.list();
        assert.equal(await stores.sealedSecrets.replace(listed.map((s) => ({ ...s, next: s.sealed.replace('k1', 'k2') }))), true);
        const stored = await stores.credentials.get('db-key');
        assert.equal(stored?.sealed, 'v1:k2:DB');
        assert.equal(stored?.publicKey, 'ssh-ed25519 AAAA');
        assert.equal(stored?.type, 'privateKey');
        const factors = await stores.factors.get('alice');
        assert.equal(factors?.totpSealed, 'v1:k2:TOTP');
        assert.deepEqual(factors?.recoveryHashes, ['$argon2id$code']);
      }));

    test('a value changed meanwhile: false, and nothing written', { timeout: CONTRACT_TIMEOUT_MS }, () =>
      withStores(harness, 'sealed-conflict', 2, async ([one, two]) => {
        await one.applyChanges([{ op: 'put', resource: credential('db-key', 'v1:k1:DB') }]);
        await one.factors.setTotp('alice', 'v1:k1:TOTP', []);
        const listed = await one.sealedSecrets.list();
        // Another process sets a new TOTP secret between the list and the replace.
        await two.factors.setTotp('alice', 'v1:k1:NEW', []);
        assert.equal(await one.sealedSecrets.replace(listed.map((s) => ({ ...s, next: 'v1:k2:X' }))), false);
        assert.equal((await two.credentials.get('db-key'))?.sealed, 'v1:k1:DB', 'the credential, unchanged meanwhile, was not written either');
        assert.equal((await two.factors.get('alice'))?.totpSealed, 'v1:k1:NEW');
      }));

    test('two concurrent rotations of one secret from two store instances: exactly one wins', { timeout: CONTRACT_TIMEOUT_MS }, () =>
      withStores(harness, 'sealed-race', 2, async ([one, two]) => {
        await one.applyChanges([{ op: 'put', resource: credential('db-key', 'v1:k1:DB') }]);
        const [listed] = await one.sealedSecrets.list();
        const change = (next: string): Array<SealedSecret & { next: string }> => [{ ...listed, next }];
        const results = await Promise.all([one.sealedSecrets.replace(change('v1:k2:ONE')), two.sealedSecrets.replace(change('v1:k2:TWO'))]);
        assert.equal(results.filter(Boolean).length, 1, results.join(', '));
        assert.equal((await one.credentials.get('db-key'))?.sealed, results[0] ? 'v1:k2:ONE' : 'v1:k2:TWO');
      }));
  });
}
