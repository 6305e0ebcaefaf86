import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CONTRACT_TIMEOUT_MS, sealAs, withStores, type StoreHarness } from './store-harness.js';
import type { RequestAudit } from '../store.js';
import type { AccessRequestRecord } from '../../requests/access-request.js';

const T0 = Date.parse('2026-06-01T12:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms);
const iso = (ms: number) => at(ms).toISOString();

const request = (id: string, user: string, role: string, durationMs = 60_000): AccessRequestRecord => ({
  id, user, role, durationMs, reason: 'INC-42', status: 'pending', createdAt: iso(0), lapsesAt: iso(3_600_000),
  decidedBy: null, decidedAt: null, decisionReason: null, until: null,
});

const audit = (type: 'request.create' | 'request.approve' | 'request.deny' | 'request.expire'): RequestAudit => ({
  event: (r) => ({ type: 'config.change', user: r.user, src: null, action: 'update', kind: `Request:${type}`, name: r.id }),
  seal: sealAs('node-a'),
});

export function requestStoreContract(harness: StoreHarness): void {
  describe('AccessRequestStore', () => {
    test('a request is created once per user and role, within the per-user bound, with its event in the chain', { timeout: CONTRACT_TIMEOUT_MS }, () =>
      withStores(harness, 'requests-create', 2, async ([one, two]) => {
        const created = await one.requests.create(request('aaaaaaaaa1', 'alice', 'dba'), { maxPendingPerUser: 2 }, audit('request.create'));
        assert.equal(created.result, 'created');
        assert.equal(created.events.length, 1);
        assert.equal(created.events[0].hash, await two.audit.head(), 'the event is on the chain');
        const again = await two.requests.create(request('aaaaaaaaa2', 'alice', 'dba'), { maxPendingPerUser: 2 }, audit('request.create'));
        assert.deepEqual(again, { result: 'duplicate', events: [] });
        assert.equal((await two.requests.create(request('aaaaaaaaa3', 'alice', 'ops'), { maxPendingPerUser: 2 }, audit('request.create'))).result, 'created');
        assert.equal((await one.requests.create(request('aaaaaaaaa4', 'alice', 'web'), { maxPendingPerUser: 2 }, audit('request.create'))).result, 'too-many');
        assert.equal((await one.requests.create(request('aaaaaaaaa5', 'bob', 'dba'), { maxPendingPerUser: 2 }, audit('request.create'))).result, 'created');
        assert.deepEqual(await two.requests.get('aaaaaaaaa1'), request('aaaaaaaaa1', 'alice', 'dba'));
        assert.equal(await two.requests.get('aaaaaaaaa2'), null);
        assert.deepEqual((await one.requests.list({ user: 'alice', status: ['pending'], limit: 10 })).map((r) => r.id).sort(), ['aaaaaaaaa1', 'aaaaaaaaa3']);
        assert.equal((await one.requests.list({ limit: 10 })).length, 3);
        assert.equal((await one.requests.list({ status: ['approved'], limit: 10 })).length, 0);
      }));

    test('concurrent requests of one user never pass the bound together', { timeout: CONTRACT_TIMEOUT_MS }, () =>
      withStores(harness, 'requests-race', 2, async ([one, two]) => {
        const results = await Promise.all(Array.from({ length: 6 }, (_, i) =>
          (i % 2 ? one : two).requests.create(request(`bbbbbbbbb${i}`, 'alice', `role${i}`), { maxPendingPerUser: 3 }, audit('request.create'))));
        assert.equal(results.filter((r) => r.result === 'created').length, 3);
        assert.equal((await one.requests.list({ user: 'alice', status: ['pending'], limit: 10 })).length, 3);
      }));

    test('a pending request is decided once; an approved one is a live grant until its end, then expires exactly once', { timeout: CONTRACT_TIMEOUT_MS }, () =>
      withStores(harness, 'requests-decide', 2, async ([one, two]) => {
        await one.requests.create(request('ccccccccc1', 'alice', 'dba'), { maxPendingPerUser: 5 }, audit('request.create'));
        await one.requests.create(request('ccccccccc2', 'alice', 'ops'), { maxPendingPerUser: 5 }, audit('request.create'));
        const approve = { status: 'approved' as const, by: 'carol', at: iso(1000), reason: 'ok', until: iso(61_000) };
        const [first, second] = await Promise.all([
          one.requests.decide('ccccccccc1', approve, audit('request.approve')),
          two.requests.decide('ccccccccc1', { ...approve, status: 'denied', until: null }, audit('request.deny')),
        ]);
        const winners = [first, second].filter((step) => step.result !== null);
        assert.equal(winners.length, 1, 'one decider wins');
        assert.equal(winners[0].events.length, 1);
        assert.equal([first, second].find((step) => step.result === null)!.events.length, 0, 'the loser writes no event');
        // Make the approval the outcome whichever decider won, for the rest of the test.
        let grant = winners[0].result!;
        if (grant.status === 'denied') {
          await one.requests.create(request('ccccccccc3', 'alice', 'dba'), { maxPendingPerUser: 5 }, audit('request.create'));
          grant = (await one.requests.decide('ccccccccc3', approve, audit('request.approve'))).result!;
        }
        assert.equal(grant.status, 'approved');
        assert.equal(grant.decidedBy, 'carol');
        assert.equal(grant.until, iso(61_000));
        assert.equal(grant.lapsesAt, iso(61_000));
        assert.deepEqual(await two.requests.decide(grant.id, approve, audit('request.approve')), { result: null, events: [] }, 'decided once');
        assert.deepEqual((await two.requests.liveGrants('alice', at(30_000))).map((r) => r.id), [grant.id]);
        assert.deepEqual(await two.requests.liveGrants('alice', at(61_000)), [], 'the grant ends at until');
        assert.deepEqual(await two.requests.liveGrants('bob', at(30_000)), []);

        assert.deepEqual((await one.requests.expire(at(30_000), 100, audit('request.expire'))).result, [], 'nothing ended yet');
        const sweeps = await Promise.all([one, two, one, two].map((s) => s.requests.expire(at(61_000), 100, audit('request.expire'))));
        const expired = sweeps.flatMap((s) => s.result);
        assert.deepEqual(expired.map((r) => [r.id, r.status]), [[grant.id, 'expired']], 'expired exactly once across instances');
        assert.equal(sweeps.flatMap((s) => s.events).length, 1, 'one event');
        assert.equal((await one.requests.get(grant.id))!.status, 'expired');
        assert.equal((await one.requests.get('ccccccccc2'))!.status, 'pending', 'a pending request lapses at its own time');
        const lapsed = await two.requests.expire(at(3_600_000), 100, audit('request.expire'));
        assert.deepEqual(lapsed.result.map((r) => [r.id, r.status, r.until]), [['ccccccccc2', 'expired', null]]);
        assert.deepEqual(await one.requests.decide('ccccccccc2', approve, audit('request.approve')), { result: null, events: [] }, 'an expired request cannot be approved');
      }));

    test('a lapsed pending request cannot be approved even before the sweep marks it', { timeout: CONTRACT_TIMEOUT_MS }, () =>
      withStores(harness, 'requests-lapsed', 1, async ([one]) => {
        await one.requests.create(request('ddddddddd1', 'alice', 'dba'), { maxPendingPerUser: 5 }, audit('request.create'));
        const late = { status: 'approved' as const, by: 'carol', at: iso(3_600_000), reason: null, until: iso(3_660_000) };
        assert.equal((await one.requests.decide('ddddddddd1', late, audit('request.approve'))).result, null);
      }));
  });
}
