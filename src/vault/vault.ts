/**
 * Secrets at rest: AES-256-GCM under the vault key (the data dir's `vault.key`, 0600, or
 * `JUMPGATE_VAULT_KEY`), with a fresh 96-bit nonce per secret. The envelope is
 * `v1:<base64 nonce|tag|ciphertext>`; the credential name is bound as associated data so
 * a sealed secret cannot be moved to another credential.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { Secret } from './secret.js';

export class VaultError extends Error {
  readonly code = 'VAULT';
}

export class Vault {
  readonly #key: Buffer;
  constructor(key: Buffer) {
    if (key.length !== 32) throw new VaultError('the vault key must be 32 bytes (base64 in the key file)');
    this.#key = key;
  }

  seal(name: string, plaintext: Buffer): string {
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, nonce);
    cipher.setAAD(Buffer.from(name));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return `v1:${Buffer.concat([nonce, cipher.getAuthTag(), body]).toString('base64')}`;
  }

  open(name: string, sealed: string): Secret<Buffer> {
    if (!sealed.startsWith('v1:')) throw new VaultError(`credential ${name}: unknown envelope`);
    const raw = Buffer.from(sealed.slice(3), 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.#key, raw.subarray(0, 12));
    decipher.setAAD(Buffer.from(name));
    decipher.setAuthTag(raw.subarray(12, 28));
    try {
      return new Secret(Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]));
    } catch {
      throw new VaultError(`credential ${name}: cannot be decrypted with this vault key`);
    }
  }
}

export function loadVault(keyFile: string, env = process.env): Vault {
  const text = env.JUMPGATE_VAULT_KEY ?? (existsSync(keyFile) ? readFileSync(keyFile, 'utf8') : null);
  if (text === null) throw new VaultError(`no vault key: ${keyFile} is missing and JUMPGATE_VAULT_KEY is not set`);
  return new Vault(Buffer.from(text.trim(), 'base64'));
}
