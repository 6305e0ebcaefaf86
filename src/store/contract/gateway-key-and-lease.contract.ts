import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { GatewayKey } from '../store.js';
import { CONTRACT_TIMEOUT_MS, withStores, type StoreHarness } from './store-harness.js';

const key = (n: number): GatewayKey => ({ name: 'target-ca', sealed: `v1:k1:KEY${n}`, publicKey: `ssh-ed25519 AAAA${n}`, createdAt: '2026-01-01T00:00:00.000Z' });

export function gatewayKeyAndLeaseContract(harness: StoreHarness): void {
  describe('GatewayKeyStore', () => {
    test('concurrent creators from two store instances all get the one key created', { timeout: CONTRACT_TIMEOUT_MS }, () =>
      withStores(harness, 'gateway-key-race', 2, async ([one, two]) => {
        assert.equal(await one.gatewayKeys.get('target-ca'), null);
        const results = await Promise.all(Array.from({ length: 10 }, (_, n) => (n % 2 ? one : two).gatewayKeys.create(key(n))));
        const winner = results[0];
        for (const result of results) assert.deepEqual(result, winner);
        assert.deepEqual(await two.gatewayKeys.get('target-ca'), winner);
      }));

    test('vault rotate sees gateway keys as sealed secrets and can swap them', { timeout: CONTRACT_TIMEOUT_MS }, () =>
      withStores(harness, 'gateway-key-sealed', 1, async ([stores]) => {
        await stores.gatewayKeys.create(key(1));
        const listed = await stores.sealedSecrets.list();
        assert.deepEqual(listed, [{ owner: { kind: 'gatewayKey', name: 'target-ca' }, sealed: 'v1:k1:KEY1' }]);
        assert.equal(await stores.sealedSecrets.replace([{ ...listed[0], next: 'v1:k2:KEY1' }]), true);
        assert.equal((await stores.gatewayKeys.get('target-ca'))?.sealed, 'v1:k2:KEY1');
        assert.equal(await stores.sealedSecrets.replace([{ ...listed[0], next: 'v1:k3:KEY1' }]), false, 'a stale value is not swapped');
      }));
  });

  describe('LeaseStore', () => {
    test('one holder at a time; the holder renews; an expired lease is taken over; release frees it', { timeout: CONTRACT_TIMEOUT_MS }, () =>
      withStores(harness, 'lease', 2, async ([one, two]) => {
        const t0 = new Date('2026-01-01T00:00:00.000Z');
        const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);
        assert.equal(await one.leases.acquire('rotation', 'node-a', t0, 60_000), true);
        assert.equal(await two.leases.acquire('rotation', 'node-b', at(10), 60_000), false, 'held by node-a');
        assert.equal(await one.leases.acquire('rotation', 'node-a', at(30), 60_000), true, 'renewed until 90 s');
        assert.equal(await two.leases.acquire('rotation', 'node-b', at(70), 60_000), false, 'the renewal holds');
        assert.equal(await two.leases.acquire('rotation', 'node-b', at(90), 60_000), true, 'expired: taken over');
        await one.leases.release('rotation', 'node-a');
        assert.equal(await one.leases.acquire('rotation', 'node-a', at(100), 60_000), false, 'a release by a former holder frees nothing');
        await two.leases.release('rotation', 'node-b');
        assert.equal(await one.leases.acquire('rotation', 'node-a', at(100), 60_000), true);
      }));

    test('of many concurrent acquirers exactly one wins', { timeout: CONTRACT_TIMEOUT_MS }, () =>
      withStores(harness, 'lease-race', 2, async ([one, two]) => {
        const now = new Date();
        const results = await Promise.all(Array.from({ length: 10 }, (_, n) => (n % 2 ? one : two).leases.acquire('rotation', `node-${n}`, now, 60_000)));
        assert.equal(results.filter(Boolean).length, 1);
      }));
  });
}
