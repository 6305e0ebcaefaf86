import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openStores } from '../../store/open-stores.js';
import { RoleSchema, TargetSchema, UserSchema } from '../../domain/resources.js';
import { referenceFindings, vaultFindings } from './doctor-store.js';
import { loadVault, VAULT_KEY_ENV } from '../../vault/vault.js';
import { credentialFromSecret } from '../../resources/credential-secret.js';

test('doctor reports what a store holds that names a missing role, credential or jump host', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'jumpgate-doctor-'));
  const stores = await openStores('sqlite:jumpgate.db', dir);
  try {
    // Written past apply's checks, as an older version's deletes left them.
    await stores.applyChanges([
      { op: 'put', resource: RoleSchema.parse({ kind: 'Role', name: 'ops' }) },
      { op: 'put', resource: UserSchema.parse({ kind: 'User', name: 'alice', roles: ['ops', 'gone-role'] }) },
      { op: 'put', resource: TargetSchema.parse({ kind: 'Target', name: 'db1', host: '10.0.0.5', credential: 'gone-key', via: 'gone-hop' }) },
    ]);
    assert.deepEqual((await referenceFindings(stores)).map((f) => [f.level, f.what]), [
      ['fail', 'User alice: role gone-role does not exist (create it first: jumpgate role add gone-role --allow …)'],
      ['fail', 'Target db1: credential gone-key does not exist (store it first: jumpgate credential set gone-key --type …)'],
      ['fail', 'Target db1: via gone-hop names no target (chain db1 -> gone-hop)'],
    ]);
    // Positive control: once the names resolve, doctor is content.
    await stores.applyChanges([
      { op: 'put', resource: UserSchema.parse({ kind: 'User', name: 'alice', roles: ['ops'] }) },
      { op: 'put', resource: TargetSchema.parse({ kind: 'Target', name: 'db1', host: '10.0.0.5' }) },
    ]);
    assert.deepEqual((await referenceFindings(stores)).map((f) => f.level), ['ok']);
  } finally {
    await stores.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('doctor names the sealed secrets the vault key file cannot open, and passes with the right key', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'jumpgate-doctor-'));
  const stores = await openStores('sqlite:jumpgate.db', dir);
  const keyFile = (name: string, key: Buffer) => {
    const file = path.join(dir, name);
    writeFileSync(file, key.toString('base64') + '\n', { mode: 0o600 });
    return file;
  };
  try {
    const right = keyFile('right.key', randomBytes(32));
    const wrong = keyFile('wrong.key', randomBytes(32));
    await stores.applyChanges([{ op: 'put', resource: credentialFromSecret(loadVault(right, {}), 'db-pass', 'password', Buffer.from('secret password')) }]);
    const saved = process.env[VAULT_KEY_ENV];
    delete process.env[VAULT_KEY_ENV];
    try {
      assert.deepEqual((await vaultFindings(stores, wrong)).map((f) => [f.level, f.what]), [
        ['fail', 'the vault key file does not hold the key of 1 of 1 sealed secret(s): credential db-pass'],
      ]);
      assert.deepEqual((await vaultFindings(stores, right)).map((f) => [f.level, f.what]), [['ok', 'vault key opens all 1 sealed secret(s)']]);
    } finally {
      if (saved !== undefined) process.env[VAULT_KEY_ENV] = saved;
    }
  } finally {
    await stores.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
