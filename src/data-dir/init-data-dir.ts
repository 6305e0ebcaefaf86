/** `jumpgate init`: a data dir that `serve` can start from, created without overwriting anything. */
import { existsSync, mkdirSync, writeFileSync, chmodSync, openSync, closeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { SETTINGS_FILE, dataPath, loadSettings } from '../config/load-settings.js';
import { VAULT_KEY_ENV } from '../vault/vault.js';
import { missingKeyText } from '../vault/missing-key.js';
import { SETTINGS_TEMPLATE } from '../config/settings-template.js';
import { ensureHostKey, readHostKey, type HostKey } from './host-keys.js';
import { openStores } from '../store/open-stores.js';
import { loadSigningKey, SIGNING_KEY_FILE } from '../audit/export-bundle.js';
import { ensureSelfSignedPair } from './self-signed-certificate.js';
import { hostname } from 'node:os';

export interface InitResult { created: string[]; hostKeys: HostKey[] }

export async function initDataDir(dataDir: string): Promise<InitResult> {
  const created: string[] = [];
  if (!existsSync(dataDir)) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    created.push(dataDir);
  }
  const settingsFile = path.join(dataDir, SETTINGS_FILE);
  if (!existsSync(settingsFile)) {
    writeFileSync(settingsFile, SETTINGS_TEMPLATE, { mode: 0o600 });
    created.push(settingsFile);
  }
  // The operator's settings when the file exists: init fills in what they name.
  const settings = loadSettings(dataDir);
  const hostKeyFiles = settings.ssh.hostKeys.map((file) => dataPath(dataDir, file));
  for (const file of hostKeyFiles) if (ensureHostKey(file)) created.push(file);

  const vaultKey = dataPath(dataDir, settings.vault.keyFile);
  if (!existsSync(vaultKey) && !process.env[VAULT_KEY_ENV]) {
    // A new key is harmless only while nothing is sealed under the lost one.
    await refuseIfSealed(settings.store, dataDir, vaultKey);
    writeFileSync(vaultKey, randomBytes(32).toString('base64') + '\n', { mode: 0o600 });
    chmodSync(vaultKey, 0o600);
    created.push(vaultKey);
  }
  const auditFile = dataPath(dataDir, settings.audit.file);
  if (!existsSync(auditFile)) {
    closeSync(openSync(auditFile, 'a', 0o600));
    created.push(auditFile);
  }
  const signingKey = path.join(dataDir, SIGNING_KEY_FILE);
  if (!existsSync(signingKey)) {
    loadSigningKey(signingKey);
    created.push(signingKey);
  }
  // The RD Gateway's TLS pair, so `rdp.listen` works at once; replaced by one clients trust.
  const rdpCert = dataPath(dataDir, settings.rdp.tls.cert);
  if (ensureSelfSignedPair(rdpCert, dataPath(dataDir, settings.rdp.tls.key), hostname())) created.push(rdpCert);
  const stores = await openStores(settings.store, dataDir);
  await stores.close();
  return { created, hostKeys: hostKeyFiles.map(readHostKey) };
}

async function refuseIfSealed(store: string, dataDir: string, vaultKey: string): Promise<void> {
  const stores = await openStores(store, dataDir);
  try {
    const sealed = await stores.sealedSecrets.list();
    if (sealed.length > 0) throw new Error(missingKeyText(vaultKey, sealed));
  } finally {
    await stores.close();
  }
}

export function isInitialised(dataDir: string): boolean {
  return existsSync(path.join(dataDir, SETTINGS_FILE));
}
