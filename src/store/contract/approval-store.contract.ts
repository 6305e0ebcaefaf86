import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CONTRACT_TIMEOUT_MS, withStores, type StoreHarness } from './store-harness.js';
import type { ApprovalRecord } from '../store.js';

const NOW = new Date('2026-06-01T12:00:00.000Z');
const at = (minutes: number): string => new Date(NOW.getTime() + minutes * 60_000).toISOString();
const later = (minutes: number): Date => new Date(at(minutes));
const approval = (codeHash: string, user: string | null, expiresIn = 2, pollHash: string | null = null): ApprovalRecord => ({
  codeHash, kind: pollHash ? 'certificate' : 'ssh-login', user, subject: '127.0.0.1:5000', pollHash,
  createdAt: at(0), expiresAt: at(expiresIn), approvedBy: null, approvedAt: null, claimedAt: null,
});

export function approvalStoreContract(harness: StoreHarness): void {
  describe('ApprovalStore', () => {
    test('an approval is approved by its person only, on any instance, and claimed once', { timeout: CONTRACT_TIMEOUT_MS }, () =>
      withStores(harness, 'approvals', 2, async ([one, two]) => {
        await one.approvals.add(approval('a1', 'alice'), NOW);
        assert.deepEqual(await two.approvals.claim({ codeHash: 'a1' }, NOW), { ok: false, reason: 'pending' });
        assert.deepEqual(await two.approvals.approve('a1', 'bob', NOW), { ok: false, reason: 'other-person' });
        const approved = await two.approvals.approve('a1', 'alice', later(1));
        assert.ok(approved.ok);
        assert.equal(approved.approval.approvedBy, 'alice');
        assert.deepEqual(await one.approvals.approve('a1', 'alice', later(1)), { ok: false, reason: 'used' }, 'approved once');
        const claimed = await one.approvals.claim({ codeHash: 'a1' }, later(1));
        assert.ok(claimed.ok);
        assert.equal(claimed.approval.user, 'alice');
        assert.deepEqual(await two.approvals.claim({ codeHash: 'a1' }, later(1)), { ok: false, reason: 'used' });
        assert.deepEqual(await two.approvals.approve('zz', 'alice', NOW), { ok: false, reason: 'unknown' });
      }));

    test('an approval bound to nobody binds to whoever approves; a poll secret claims it', { timeout: CONTRACT_TIMEOUT_MS }, () =>
      withStores(harness, 'approvals-poll', 1, async ([stores]) => {
        await stores.approvals.add(approval('c1', null, 2, 'p1'), NOW);
        assert.deepEqual(await stores.approvals.claim({ pollHash: 'p1' }, NOW), { ok: false, reason: 'pending' });
        const approved = await stores.approvals.approve('c1', 'carol', NOW);
        assert.ok(approved.ok);
        assert.equal(approved.approval.user, 'carol');
        const claimed = await stores.approvals.claim({ pollHash: 'p1' }, NOW);
        assert.ok(claimed.ok);
        assert.equal(claimed.approval.user, 'carol');
        assert.deepEqual(await stores.approvals.claim({ pollHash: 'nope' }, NOW), { ok: false, reason: 'unknown' });
      }));

    test('an expired approval is neither approved nor claimed, and is forgotten later', { timeout: CONTRACT_TIMEOUT_MS }, () =>
      withStores(harness, 'approvals-expiry', 1, async ([stores]) => {
        await stores.approvals.add(approval('e1', 'alice', 2), NOW);
        await stores.approvals.add(approval('e2', 'alice', 2), NOW);
        assert.ok((await stores.approvals.approve('e2', 'alice', later(1))).ok);
        assert.deepEqual(await stores.approvals.approve('e1', 'alice', later(3)), { ok: false, reason: 'expired' });
        assert.deepEqual(await stores.approvals.claim({ codeHash: 'e2' }, later(3)), { ok: false, reason: 'expired' });
        await stores.approvals.add(approval('e3', 'alice', 2), later(10));
        assert.equal(await stores.approvals.get('e1'), null);
      }));

    test('of concurrent claims of one approval exactly one succeeds', { timeout: CONTRACT_TIMEOUT_MS }, () =>
      withStores(harness, 'approvals-race', 3, async (instances) => {
        await instances[0].approvals.add(approval('r1', 'alice'), NOW);
        assert.ok((await instances[1].approvals.approve('r1', 'alice', NOW)).ok);
        const results = await Promise.all([...instances, ...instances].map((stores) => stores.approvals.claim({ codeHash: 'r1' }, NOW)));
        assert.equal(results.filter((r) => r.ok).length, 1);
      }));
  });

  describe('RevokedSerialStore', () => {
    test('a serial is revoked once and seen by every instance', { timeout: CONTRACT_TIMEOUT_MS }, () =>
      withStores(harness, 'revoked-serials', 2, async ([one, two]) => {
        const entry = { serial: '18446744073709551615', revokedAt: at(0), revokedBy: 'cli:root', reason: 'laptop lost' };
        assert.equal(await one.revokedSerials.add(entry), true);
        assert.equal(await two.revokedSerials.add({ ...entry, reason: 'again' }), false);
        assert.equal(await two.revokedSerials.has('18446744073709551615'), true);
        assert.equal(await two.revokedSerials.has('1'), false);
        assert.deepEqual(await two.revokedSerials.list(), [entry]);
      }));
  });
}
