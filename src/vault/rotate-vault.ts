/**
 * `jumpgate vault rotate`: every value sealed under the vault key (credentials, TOTP
 * secrets and the gateway's target CA key) re-sealed under a new key, with no moment at which one cannot be opened.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { SealedSecretOwner, SealedSecretStore } from '../store/store.js';
import { totpVaultName } from '../auth/totp.js';
import { gatewayKeyVaultName } from '../ca/gateway-key.js';
import { keyId, sealedKeyId, Vault, VaultError, VAULT_KEY_ENV, parseKeyFile } from './vault.js';

/**
 * Passes over the store before giving up. Each pass re-seals what is not yet under the
 * new key; another pass is needed only when a secret was set meanwhile (by `credential
 * set` or `user totp`, possibly under the old key by a process that read the key file
 * before the rotation began).
 */
const MAX_PASSES = 5;

function writeKeyFile(file: string, keys: Buffer[]): void {
  const temporary = `${file}.new`;
  writeFileSync(temporary, keys.map((k) => k.toString('base64')).join('\n') + '\n', { mode: 0o600 });
  renameSync(temporary, file);
}

/** The name a secret is sealed under: bound as associated data, so it cannot be moved. */
function vaultName(owner: SealedSecretOwner): string {
  switch (owner.kind) {
    case 'credential': return owner.name;
    case 'totp': return totpVaultName(owner.user);
    case 'gatewayKey': return gatewayKeyVaultName(owner.name);
  }
}

export async function rotateVault(keyFile: string, stores: { sealedSecrets: SealedSecretStore }): Promise<{ oldKey: string; newKey: string; resealed: number }> {
  if (process.env[VAULT_KEY_ENV]) throw new VaultError(`the vault key comes from ${VAULT_KEY_ENV}; rotate it there (set the new key first, the old one after a comma, re-run apply)`);
  const oldKeys = parseKeyFile(readFileSync(keyFile, 'utf8'));
  const oldVault = new Vault(oldKeys);
  const newKey = randomBytes(32);
  // 1. New key first, old keys kept: gateways can open old and new envelopes alike.
  writeKeyFile(keyFile, [newKey, ...oldKeys]);
  const vault = new Vault([newKey, ...oldKeys]);
  // 2. Every sealed value re-sealed, each pass in one transaction.
  let resealed = 0;
  for (let pass = 1; ; pass += 1) {
    const stale = (await stores.sealedSecrets.list()).filter((secret) => sealedKeyId(secret.sealed) !== vault.currentKeyId);
    if (stale.length === 0) break;
    if (pass > MAX_PASSES) {
      throw new VaultError(`secrets kept changing while the vault key was rotated; run vault rotate again (the key file keeps every key until a rotation completes)`);
    }
    const changes = stale.map((secret) => ({ ...secret, next: vault.seal(vaultName(secret.owner), vault.open(vaultName(secret.owner), secret.sealed).reveal()) }));
    if (await stores.sealedSecrets.replace(changes)) resealed += changes.length;
  }
  // 3. Old keys dropped.
  writeKeyFile(keyFile, [newKey]);
  return { oldKey: oldVault.currentKeyId, newKey: keyId(newKey), resealed };
}
