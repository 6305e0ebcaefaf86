import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ssh2 from 'ssh2';
import { openSqliteStores } from '../store/sqlite/sqlite-stores.js';
import { AuditLog } from '../audit/audit-log.js';
import { Vault } from '../vault/vault.js';
import { credentialFromSecret } from '../resources/credential-secret.js';
import type { StoredCredential } from '../domain/credential.js';
import { isDue, RotationSchedule } from './rotation-schedule.js';

const dir = mkdtempSync(path.join(tmpdir(), 'jumpgate-schedule-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const DAY = 86_400_000;
const logger = { debug() {}, info() {}, warn() {}, error() {} };

const credential = (fields: Partial<StoredCredential>): StoredCredential =>
  ({ kind: 'Credential', name: 'db-key', type: 'privateKey', sealed: 'v1:k:x', publicKey: 'ssh-ed25519 AAAA', updatedAt: new Date(0).toISOString(), ...fields });

test('a key is due once rotateEvery has passed since its last rotation, or since it was stored', () => {
  const now = 10 * DAY;
  assert.equal(isDue(credential({ rotateEvery: '30d' }), now), false);
  assert.equal(isDue(credential({ rotateEvery: '10d' }), now), true);
  assert.equal(isDue(credential({ rotateEvery: '10d', rotatedAt: new Date(DAY).toISOString() }), now), false, 'counted from the last rotation');
  assert.equal(isDue(credential({}), now), false, 'no schedule');
  assert.equal(isDue(credential({ type: 'password', rotateEvery: '1d' }), now), false, 'passwords are not rotated');
});

test('two nodes checking at once rotate a due key once', { timeout: 30_000 }, async () => {
  const file = path.join(dir, 'store.db');
  const vault = new Vault([randomBytes(32)]);
  const [one, two] = [openSqliteStores(file), openSqliteStores(file)];
  try {
    const key = ssh2.utils.generateKeyPairSync('ed25519').private;
    const stored = { ...credentialFromSecret(vault, 'db-key', 'privateKey', Buffer.from(key)), rotateEvery: '1d', updatedAt: new Date(Date.now() - 2 * DAY).toISOString() };
    await one.applyChanges([{ op: 'put', resource: stored }]);
    const schedule = (stores: typeof one, node: string) => new RotationSchedule({
      stores, audit: new AuditLog(stores.audit, path.join(dir, `audit-${node}.log`), node, { rotateSize: 1 << 20, onError: () => {} }),
      vault: () => vault, upstream: { openWith: () => Promise.reject(new Error('no target uses this credential')) }, logger,
      holder: node, commandTimeoutMs: 1_000, report: () => {},
    });
    await Promise.all([schedule(one, 'a').check(), schedule(two, 'b').check()]);
    const events = (await one.audit.list({ type: 'credential.rotate' }));
    assert.equal(events.length, 1, 'one rotation');
    assert.equal((events[0] as unknown as { outcome: string }).outcome, 'rotated');
    const after = await one.credentials.get('db-key');
    assert.notEqual(after?.publicKey, stored.publicKey, 'a new key');
    assert.equal(after?.rotateEvery, '1d', 'the schedule is kept');
    assert.ok(after?.rotatedAt);
    await schedule(two, 'b').check();
    assert.equal((await one.audit.list({ type: 'credential.rotate' })).length, 1, 'not due again');
  } finally {
    await one.close();
    await two.close();
  }
});
