/** `jumpgate vault rotate`: every secret re-sealed under a new key, with no moment at which one cannot be opened. */
import { randomBytes } from 'node:crypto';
import { renameSync, writeFileSync } from 'node:fs';
import type { Stores } from '../store/store.js';
import { loadVault, keyId, Vault, VaultError, VAULT_KEY_ENV, parseKeyFile } from './vault.js';
import { readFileSync } from 'node:fs';

function writeKeyFile(file: string, keys: Buffer[]): void {
  const temporary = `${file}.new`;
  writeFileSync(temporary, keys.map((k) => k.toString('base64')).join('\n') + '\n', { mode: 0o600 });
  renameSync(temporary, file);
}

export async function rotateVault(keyFile: string, stores: Pick<Stores, 'credentials' | 'applyChanges'>): Promise<{ oldKey: string; newKey: string; resealed: number }> {
  if (process.env[VAULT_KEY_ENV]) throw new VaultError(`the vault key comes from ${VAULT_KEY_ENV}; rotate it there (set the new key first, the old one after a comma, re-run apply)`);
  const oldKeys = parseKeyFile(readFileSync(keyFile, 'utf8'));
  const oldVault = loadVault(keyFile);
  const newKey = randomBytes(32);
  // 1. New key first, old keys kept: gateways can open old and new envelopes alike.
  writeKeyFile(keyFile, [newKey, ...oldKeys]);
  const newVault = new Vault([newKey]);
  // 2. Every secret re-sealed in one transaction.
  const credentials = await stores.credentials.list();
  await stores.applyChanges(credentials.map((credential) => ({
    op: 'put' as const,
    resource: { ...credential, sealed: newVault.seal(credential.name, oldVault.open(credential.name, credential.sealed).reveal()), updatedAt: new Date().toISOString() },
  })));
  // 3. Old keys dropped.
  writeKeyFile(keyFile, [newKey]);
  return { oldKey: oldVault.currentKeyId, newKey: keyId(newKey), resealed: credentials.length };
}
