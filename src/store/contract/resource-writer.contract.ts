import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuditEvent } from '../../audit/events.js';
import { GENESIS, findChainBreak } from '../../audit/hash-chain.js';
import type { Role, Target, User } from '../../domain/resources.js';
import type { StoredCredential } from '../../domain/credential.js';
import { CONTRACT_TIMEOUT_MS, changeDraft, sealAs, withStores, type StoreHarness } from './store-harness.js';

const target = (name: string, host = '10.0.2.5'): Target => ({ kind: 'Target', name, host, port: 22, alternateHosts: [], labels: { env: 'prod' } });
const user: User = { kind: 'User', name: 'alice', roles: ['dba'], keys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl alice'], sourceCidrs: [], disabled: false };
const role: Role = { kind: 'Role', name: 'dba', allow: [{ targets: ['db1'], access: ['jump'], mfa: false, record: false, agentForwarding: false, remoteForward: false }] };
const credential: StoredCredential = { kind: 'Credential', name: 'db-key', type: 'privateKey', sealed: 'v1:00000000:AAAA', updatedAt: '2026-01-01T00:00:00.000Z' };

export function resourceWriterContract(harness: StoreHarness): void {
  describe('ResourceWriter and the resource stores', () => {
    test('a batch puts, replaces and deletes resources of every kind', { timeout: CONTRACT_TIMEOUT_MS }, () =>
      withStores(harness, 'resources', 1, async ([stores]) => {
        await stores.applyChanges([
          { op: 'put', resource: target('db2') }, { op: 'put', resource: target('db1') },
          { op: 'put', resource: user }, { op: 'put', resource: role }, { op: 'put', resource: credential },
        ]);
        assert.deepEqual(await stores.targets.get('db1'), target('db1'));
        assert.deepEqual(await stores.users.get('alice'), user);
        assert.deepEqual(await stores.roles.get('dba'), role);
        assert.deepEqual(await stores.credentials.get('db-key'), credential);
        assert.deepEqual((await stores.targets.list()).map((t) => t.name), ['db1', 'db2'], 'listed by name');
        assert.equal(await stores.targets.get('db3'), null);

        const events = await stores.applyChanges([{ op: 'put', resource: target('db1', '10.0.2.6') }, { op: 'delete', kind: 'Target', name: 'db2' }]);
        assert.deepEqual(events, [], 'no audit, no events');
        assert.equal((await stores.targets.get('db1'))?.host, '10.0.2.6');
        assert.equal(await stores.targets.get('db2'), null);
      }));

    test('a batch commits with its audit events, in one piece of the chain', { timeout: CONTRACT_TIMEOUT_MS }, () =>
      withStores(harness, 'resources-audited', 1, async ([stores]) => {
        const before = await stores.audit.append(changeDraft('earlier'), sealAs('node-a'));
        const events = await stores.applyChanges([{ op: 'put', resource: target('db1') }, { op: 'put', resource: target('db2') }],
          { drafts: [changeDraft('db1', 'create'), changeDraft('db2', 'create')], seal: sealAs('node-a') });
        assert.equal(events.length, 2);
        assert.equal(events[0].prev, before.hash);
        assert.equal(events[1].prev, events[0].hash);
        assert.equal(await stores.audit.head(), events[1].hash);
        assert.deepEqual((await stores.audit.list({})).map((event) => event.id), [before.id, events[0].id, events[1].id]);
      }));

    test('a batch whose events cannot be sealed writes neither the changes nor any event', { timeout: CONTRACT_TIMEOUT_MS }, () =>
      withStores(harness, 'resources-atomic', 1, async ([stores]) => {
        await stores.applyChanges([{ op: 'put', resource: target('kept') }]);
        let sealed = 0;
        const sealThenFail = (draft: Parameters<ReturnType<typeof sealAs>>[0], prev: string): AuditEvent => {
          sealed += 1;
          if (sealed === 2) throw new Error('seal failed');
          return sealAs('node-a')(draft, prev);
        };
        await assert.rejects(stores.applyChanges(
          [{ op: 'put', resource: target('db1') }, { op: 'delete', kind: 'Target', name: 'kept' }],
          { drafts: [changeDraft('db1', 'create'), changeDraft('kept', 'delete')], seal: sealThenFail }), /seal failed/);
        assert.equal(await stores.targets.get('db1'), null, 'the put was rolled back');
        assert.notEqual(await stores.targets.get('kept'), null, 'the delete was rolled back');
        assert.equal(await stores.audit.head(), GENESIS, 'the first event was rolled back too');
        assert.deepEqual(await stores.audit.rows(0, 10), []);
      }));

    test('batches and appends from two store instances at once keep one chain and every change', { timeout: CONTRACT_TIMEOUT_MS }, () =>
      withStores(harness, 'resources-concurrent', 2, async ([one, two]) => {
        const batches = Array.from({ length: 6 }, (_, i) => one.applyChanges(
          [{ op: 'put', resource: target(`db${i}`) }, { op: 'put', resource: target(`db${i}-b`) }],
          { drafts: [changeDraft(`db${i}`, 'create'), changeDraft(`db${i}-b`, 'create')], seal: sealAs('node-a') }));
        const appends = Array.from({ length: 10 }, (_, i) => two.audit.append(changeDraft(`other${i}`), sealAs('node-b')));
        const [batchEvents] = await Promise.all([Promise.all(batches), Promise.all(appends)]);
        assert.equal((await two.targets.list()).length, 12);
        const chain = (await one.audit.rows(0, 100)).map((row) => JSON.parse(row.body) as AuditEvent);
        assert.equal(chain.length, 22);
        assert.equal(findChainBreak(chain, GENESIS), null);
        for (const [first, second] of batchEvents) assert.equal(second.prev, first.hash, 'a batch\'s events follow each other');
      }));
  });
}
