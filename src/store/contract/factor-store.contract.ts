import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CONTRACT_TIMEOUT_MS, withStores, type StoreHarness } from './store-harness.js';

const ARGON = (n: number): string => `$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ${n}$aGFzaGhhc2hoYXNo`;
const SEALED = 'v1:00000000:AAAA';

export function factorStoreContract(harness: StoreHarness): void {
  describe('FactorStore', () => {
    test('a password and a second factor are kept apart and replaced whole', { timeout: CONTRACT_TIMEOUT_MS }, () =>
      withStores(harness, 'factors', 1, async ([stores]) => {
        const { factors } = stores;
        assert.equal(await factors.get('alice'), null);
        await factors.setPassword('alice', '$argon2id$password');
        assert.deepEqual(await factors.get('alice'), { user: 'alice', passwordHash: '$argon2id$password', totpSealed: null, totpLastStep: 0, recoveryHashes: [] });
        await factors.setTotp('alice', SEALED, [ARGON(1), ARGON(2)]);
        assert.equal(await factors.claimTotpStep('alice', 1000), true);
        assert.deepEqual(await factors.get('alice'), { user: 'alice', passwordHash: '$argon2id$password', totpSealed: SEALED, totpLastStep: 1000, recoveryHashes: [ARGON(1), ARGON(2)] });
        // A new secret starts its steps again; the new codes replace the old ones.
        await factors.setTotp('alice', 'v1:00000000:BBBB', [ARGON(3)]);
        assert.deepEqual(await factors.get('alice'), { user: 'alice', passwordHash: '$argon2id$password', totpSealed: 'v1:00000000:BBBB', totpLastStep: 0, recoveryHashes: [ARGON(3)] });
        await factors.setPassword('alice', null);
        await factors.setTotp('bob', SEALED, []);
        assert.equal((await factors.get('alice'))?.passwordHash, null);
        assert.equal((await factors.get('bob'))?.passwordHash, null);
      }));

    test('a TOTP step is accepted once, and only if newer than the last one', { timeout: CONTRACT_TIMEOUT_MS }, () =>
      withStores(harness, 'totp-steps', 1, async ([{ factors }]) => {
        await factors.setTotp('alice', SEALED, []);
        assert.equal(await factors.claimTotpStep('alice', 57_000_000), true);
        assert.equal(await factors.claimTotpStep('alice', 57_000_000), false, 'the same step again');
        assert.equal(await factors.claimTotpStep('alice', 56_999_999), false, 'an older step');
        assert.equal(await factors.claimTotpStep('alice', 57_000_001), true);
        assert.equal(await factors.claimTotpStep('nobody', 57_000_002), false, 'a user without a factor');
      }));

    test('two concurrent claims of the same TOTP step from two store instances: exactly one wins', { timeout: CONTRACT_TIMEOUT_MS }, () =>
      withStores(harness, 'totp-race', 2, async ([one, two]) => {
        await one.factors.setTotp('alice', SEALED, []);
        for (const step of [57_000_000, 57_000_001, 57_000_002]) {
          const claims = await Promise.all([one, two, one, two].map((stores) => stores.factors.claimTotpStep('alice', step)));
          assert.equal(claims.filter(Boolean).length, 1, `step ${step}: ${claims.join(', ')}`);
        }
      }));

    test('two concurrent claims of one recovery code from two store instances: exactly one wins', { timeout: CONTRACT_TIMEOUT_MS }, () =>
      withStores(harness, 'recovery-race', 2, async ([one, two]) => {
        await one.factors.setTotp('alice', SEALED, [ARGON(1), ARGON(2), ARGON(3)]);
        const claims = await Promise.all([one, two, one, two, one, two].map((stores) => stores.factors.claimRecoveryCode('alice', ARGON(2))));
        assert.equal(claims.filter(Boolean).length, 1, claims.join(', '));
        assert.deepEqual((await two.factors.get('alice'))?.recoveryHashes, [ARGON(1), ARGON(3)], 'the others stay, in order');
        assert.equal(await one.factors.claimRecoveryCode('alice', ARGON(2)), false, 'used');
        assert.equal(await one.factors.claimRecoveryCode('alice', ARGON(9)), false, 'never issued');
        assert.equal(await one.factors.claimRecoveryCode('bob', ARGON(1)), false, 'another user\'s');
        assert.equal(await two.factors.claimRecoveryCode('alice', ARGON(1)), true);
        assert.equal(await two.factors.claimRecoveryCode('alice', ARGON(3)), true);
        assert.deepEqual((await one.factors.get('alice'))?.recoveryHashes, []);
      }));
  });
}
