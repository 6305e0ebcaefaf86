import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { rotateVault } from './rotate-vault.js';
import { keyId, parseKeyFile, sealedKeyId, Vault } from './vault.js';
import { openSqliteStores } from '../store/sqlite/sqlite-stores.js';
import type { SealedSecretStore, Stores } from '../store/store.js';
import type { StoredCredential } from '../domain/credential.js';
import { totpVaultName } from '../auth/totp.js';
import { loadGatewayKey } from '../ca/gateway-key.js';
import { TARGET_CA_KEY } from '../ca/target-ca.js';

const dir = mkdtempSync(path.join(tmpdir(), 'jumpgate-rotate-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let counter = 0;

/** A store and a key file with one credential and one TOTP secret sealed under the first key. */
async function fixture(): Promise<{ stores: Stores; keyFile: string; firstKey: Buffer }> {
  counter += 1;
  const stores = openSqliteStores(path.join(dir, `store-${counter}.db`));
  const keyFile = path.join(dir, `vault-${counter}.key`);
  const firstKey = randomBytes(32);
  writeFileSync(keyFile, firstKey.toString('base64') + '\n', { mode: 0o600 });
  const vault = new Vault([firstKey]);
  const credential: StoredCredential = { kind: 'Credential', name: 'db-key', type: 'password', sealed: vault.seal('db-key', Buffer.from('hunter2')), updatedAt: new Date().toISOString() };
  await stores.applyChanges([{ op: 'put', resource: credential }]);
  await stores.factors.setTotp('alice', vault.seal(totpVaultName('alice'), Buffer.from('JBSWY3DPEHPK3PXP')), []);
  return { stores, keyFile, firstKey };
}

const keysIn = (keyFile: string): Buffer[] => parseKeyFile(readFileSync(keyFile, 'utf8'));

describe('rotateVault', () => {
  test("re-seals the target CA's key: the same CA afterwards, opened with the new key only", async () => {
    const { stores, keyFile, firstKey } = await fixture();
    const deps = { gatewayKeys: stores.gatewayKeys, vault: () => new Vault(keysIn(keyFile)) };
    const before = await loadGatewayKey(deps, TARGET_CA_KEY, 'jumpgate target CA');
    assert.equal(before.created, true);
    const result = await rotateVault(keyFile, stores);
    assert.equal(result.resealed, 3, 'the credential, the TOTP secret and the CA key');
    assert.equal(sealedKeyId((await stores.gatewayKeys.get(TARGET_CA_KEY))!.sealed), keyId(keysIn(keyFile)[0]));
    assert.ok(!keysIn(keyFile).some((k) => k.equals(firstKey)));
    const after = await loadGatewayKey(deps, TARGET_CA_KEY, 'jumpgate target CA');
    assert.equal(after.created, false);
    assert.equal(after.publicLine, before.publicLine, 'the CA is the same key: targets keep trusting it');
    await stores.close();
  });

  test('re-seals credentials and TOTP secrets under the new key and drops the old one', async () => {
    const { stores, keyFile, firstKey } = await fixture();
    const result = await rotateVault(keyFile, stores);
    const keys = keysIn(keyFile);
    assert.equal(keys.length, 1);
    assert.notDeepEqual(keys[0], firstKey);
    assert.deepEqual(result, { oldKey: keyId(firstKey), newKey: keyId(keys[0]), resealed: 2 });

    const vault = new Vault(keys);
    const credential = await stores.credentials.get('db-key');
    assert.equal(vault.open('db-key', credential!.sealed!).reveal().toString(), 'hunter2');
    assert.equal(credential!.type, 'password', 'the rest of the credential is kept');
    const factors = await stores.factors.get('alice');
    assert.equal(vault.open(totpVaultName('alice'), factors!.totpSealed!).reveal().toString(), 'JBSWY3DPEHPK3PXP');
    await stores.close();
  });

  test('a secret set during the rotation is kept, and re-sealed if it was sealed under the old key', async () => {
    const { stores, keyFile, firstKey } = await fixture();
    // As `user totp` in a process that read the key file before the rotation began.
    const staleVault = new Vault([firstKey]);
    let interfered = false;
    const racing: SealedSecretStore = {
      list: () => stores.sealedSecrets.list(),
      replace: async (changes) => {
        if (!interfered) {
          interfered = true;
          await stores.factors.setTotp('alice', staleVault.seal(totpVaultName('alice'), Buffer.from('NEWSECRETNEWSECR')), []);
        }
        return stores.sealedSecrets.replace(changes);
      },
    };
    await rotateVault(keyFile, { sealedSecrets: racing });
    const vault = new Vault(keysIn(keyFile));
    const factors = await stores.factors.get('alice');
    assert.equal(sealedKeyId(factors!.totpSealed!), vault.currentKeyId);
    assert.equal(vault.open(totpVaultName('alice'), factors!.totpSealed!).reveal().toString(), 'NEWSECRETNEWSECR', 'the new enrolment was overwritten');
    await stores.close();
  });

  test('when secrets keep changing it stops with every key still in the key file', async () => {
    const { stores, keyFile, firstKey } = await fixture();
    const neverSettles: SealedSecretStore = { list: () => stores.sealedSecrets.list(), replace: async () => false };
    await assert.rejects(rotateVault(keyFile, { sealedSecrets: neverSettles }), /run vault rotate again/);
    const keys = keysIn(keyFile);
    assert.equal(keys.length, 2);
    assert.ok(keys.some((k) => k.equals(firstKey)), 'the old key was dropped');
    // Everything still opens with the key file as it is.
    const vault = new Vault(keys);
    assert.equal(vault.open('db-key', (await stores.credentials.get('db-key'))!.sealed!).reveal().toString(), 'hunter2');
    await stores.close();
  });

  test('a secret that cannot be opened stops the rotation before the old key is dropped', async () => {
    const { stores, keyFile, firstKey } = await fixture();
    await stores.factors.setTotp('bob', new Vault([randomBytes(32)]).seal(totpVaultName('bob'), Buffer.from('x')), []);
    await assert.rejects(rotateVault(keyFile, stores), /totp:bob/);
    assert.ok(keysIn(keyFile).some((k) => k.equals(firstKey)), 'the old key was dropped');
    await stores.close();
  });
});

describe('SqliteSealedSecretStore', () => {
  test('replaces nothing when one value changed since it was listed', async () => {
    const { stores, firstKey } = await fixture();
    const listed = await stores.sealedSecrets.list();
    assert.deepEqual(listed.map((s) => s.owner), [{ kind: 'credential', name: 'db-key' }, { kind: 'totp', user: 'alice' }]);
    const vault = new Vault([firstKey]);
    await stores.factors.setTotp('alice', vault.seal(totpVaultName('alice'), Buffer.from('changed')), []);
    const ok = await stores.sealedSecrets.replace(listed.map((s) => ({ ...s, next: 'v1:00000000:AAAA' })));
    assert.equal(ok, false);
    assert.deepEqual((await stores.credentials.get('db-key'))!.sealed, listed[0].sealed, 'the credential was written although the batch failed');
    await stores.close();
  });
});
