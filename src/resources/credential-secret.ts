import type { Vault } from '../vault/vault.js';
import { Secret } from '../vault/secret.js';
import type { StoredCredential } from '../domain/credential.js';
import { parseSshKey } from '../domain/ssh-public-key.js';
import type { SecretCredentialType } from '../domain/resources.js';

/**
 * Seals a secret for storage. A private key is checked to parse (with its passphrase)
 * so a broken key fails at apply time, not at the first connection; its public half is
 * kept in clear so operators can install it on targets.
 */
export function credentialFromSecret(vault: Vault, name: string, type: SecretCredentialType, secret: Buffer, passphrase?: string): StoredCredential {
  let publicKey: string | undefined;
  if (type === 'privateKey') {
    const key = parseSshKey(secret, passphrase);
    if (key instanceof Error) throw new Error(`the secret is not a usable private key (${key.message.replace(/passphrase.*/i, 'wrong or missing passphrase')})`);
    if (!key.isPrivateKey()) throw new Error('the secret is a public key, not a private key');
    publicKey = `${key.type} ${key.getPublicSSH().toString('base64')}`;
  } else if (secret.length === 0) {
    throw new Error('the password is empty');
  }
  const payload = JSON.stringify({ secret: type === 'password' ? secret.toString('utf8').replace(/\r?\n$/, '') : secret.toString('utf8'), passphrase });
  return { kind: 'Credential', name, type, sealed: vault.seal(name, Buffer.from(payload)), publicKey, updatedAt: new Date().toISOString() };
}

export interface OpenedCredential {
  type: SecretCredentialType;
  secret: Secret<string>;
  passphrase?: Secret<string>;
}

/** Opens a stored credential for use; the values stay wrapped so they never print. */
export function openCredential(vault: Vault, stored: StoredCredential): OpenedCredential {
  if ((stored.type !== 'password' && stored.type !== 'privateKey') || stored.sealed === undefined) {
    throw new Error(`credential ${stored.name} holds no secret (type ${stored.type})`);
  }
  const payload = JSON.parse(vault.open(stored.name, stored.sealed).reveal().toString('utf8')) as { secret: string; passphrase?: string };
  return {
    type: stored.type,
    secret: new Secret(payload.secret),
    passphrase: payload.passphrase !== undefined ? new Secret(payload.passphrase) : undefined,
  };
}
