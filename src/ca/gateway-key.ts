/**
 * Private keys the gateway itself holds (its target CA): Ed25519, made on first use,
 * sealed under the vault key in the store, so every node sharing the store uses one
 * key and `vault rotate` re-seals it with every other secret.
 */
import ssh2, { type ParsedKey } from 'ssh2';
import type { GatewayKeyStore } from '../store/store.js';
import type { Vault } from '../vault/vault.js';
import { fingerprint, parseSshKey } from '../domain/ssh-public-key.js';

/** The name a gateway key is sealed under: never a credential's name, which holds no ":". */
export function gatewayKeyVaultName(name: string): string {
  return `gateway-key:${name}`;
}

export interface LoadedGatewayKey {
  key: ParsedKey;
  /** `ssh-ed25519 AAAA… comment`, for files such as sshd's TrustedUserCAKeys. */
  publicLine: string;
  fingerprint: string;
  /** True for the one caller that made the key. */
  created: boolean;
}

export interface GatewayKeyDeps {
  gatewayKeys: GatewayKeyStore;
  vault(): Vault;
}

export async function loadGatewayKey(deps: GatewayKeyDeps, name: string, comment: string): Promise<LoadedGatewayKey> {
  let stored = await deps.gatewayKeys.get(name);
  let created = false;
  if (!stored) {
    const pair = ssh2.utils.generateKeyPairSync('ed25519', { comment });
    const sealed = deps.vault().seal(gatewayKeyVaultName(name), Buffer.from(pair.private));
    stored = await deps.gatewayKeys.create({ name, sealed, publicKey: pair.public.trim(), createdAt: new Date().toISOString() });
    // Another process may have won the race: its key is the one on record.
    created = stored.sealed === sealed;
  }
  const key = parseSshKey(deps.vault().open(gatewayKeyVaultName(name), stored.sealed).reveal());
  if (key instanceof Error || !key.isPrivateKey()) throw new Error(`the gateway key ${name} in the store is not a usable private key`);
  return { key, publicLine: stored.publicKey, fingerprint: fingerprint(key.getPublicSSH()), created };
}
