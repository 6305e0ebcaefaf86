/**
 * Secrets at rest: AES-256-GCM under the vault key, with a fresh 96-bit nonce per secret.
 * The envelope is `v1:<key id>:<base64 nonce|tag|ciphertext>`; the credential name is bound
 * as associated data so a sealed secret cannot be moved to another credential.
 *
 * The key file (0600) holds one base64 key per line, the first one sealing new secrets;
 * during `vault rotate` it briefly holds the new and the old key, so a running gateway can
 * open every secret at every moment of the rotation (no downtime).
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { Secret } from './secret.js';

export class VaultError extends Error {
  readonly code = 'VAULT';
}

export const VAULT_KEY_ENV = 'JUMPGATE_VAULT_KEY';

export function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

export class Vault {
  readonly #keys: Map<string, Buffer>;
  readonly #current: string;

  constructor(keys: readonly Buffer[]) {
    if (keys.length === 0) throw new VaultError('the vault key file holds no key');
    for (const key of keys) if (key.length !== 32) throw new VaultError('a vault key must be 32 bytes, base64-encoded');
    this.#keys = new Map(keys.map((key) => [keyId(key), key]));
    this.#current = keyId(keys[0]);
  }

  get currentKeyId(): string {
    return this.#current;
  }

  /** Whether a value sealed under key `id` can be opened with this key file. */
  holdsKey(id: string): boolean {
    return this.#keys.has(id);
  }

  seal(name: string, plaintext: Buffer): string {
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#keys.get(this.#current)!, nonce, { authTagLength: 16 });
    cipher.setAAD(Buffer.from(name));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return `v1:${this.#current}:${Buffer.concat([nonce, cipher.getAuthTag(), body]).toString('base64')}`;
  }

  /**
   * Keys for signing values the gateway hands out (`purpose` names what they sign), derived
   * from each vault key with HKDF-SHA256, the current key's first: every node sharing the
   * vault key verifies what another signed, and a value signed just before a rotation still
   * verifies while the key file holds the old key.
   */
  signingKeys(purpose: string): Secret<Buffer>[] {
    const ordered = [this.#current, ...[...this.#keys.keys()].filter((id) => id !== this.#current)];
    return ordered.map((id) => new Secret(Buffer.from(hkdfSync('sha256', this.#keys.get(id)!, Buffer.alloc(0), `jumpgate ${purpose}`, 32))));
  }

  open(name: string, sealed: string): Secret<Buffer> {
    const [version, id, data] = sealed.split(':');
    if (version !== 'v1' || !id || !data) throw new VaultError(`credential ${name}: unknown envelope`);
    const key = this.#keys.get(id);
    if (!key) throw new VaultError(`credential ${name}: sealed under vault key ${id}, which this vault key file does not hold`);
    const raw = Buffer.from(data, 'base64');
    // 12-byte nonce and a full 16-byte tag: a shorter tag would make forgeries cheaper.
    if (raw.length < 28) throw new VaultError(`credential ${name}: envelope too short`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12), { authTagLength: 16 });
      decipher.setAAD(Buffer.from(name));
      decipher.setAuthTag(raw.subarray(12, 28));
      return new Secret(Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]));
    } catch {
      throw new VaultError(`credential ${name}: cannot be decrypted (altered, or sealed under another key)`);
    }
  }
}

/** The id of the key a value was sealed under, or null when it is no envelope. */
export function sealedKeyId(sealed: string): string | null {
  const [version, id] = sealed.split(':');
  return version === 'v1' && id ? id : null;
}

export function parseKeyFile(text: string): Buffer[] {
  return text.split('\n').map((line) => line.trim()).filter((line) => line && !line.startsWith('#')).map((line) => Buffer.from(line, 'base64'));
}

/** The vault of `JUMPGATE_VAULT_KEY` if set, else of the key file. */
export function loadVault(keyFile: string, env: NodeJS.ProcessEnv = process.env): Vault {
  const fromEnv = env[VAULT_KEY_ENV];
  if (fromEnv) return new Vault(parseKeyFile(fromEnv.replace(/,/g, '\n')));
  if (!existsSync(keyFile)) throw new VaultError(`no vault key: ${keyFile} is missing and ${VAULT_KEY_ENV} is not set`);
  return new Vault(parseKeyFile(readFileSync(keyFile, 'utf8')));
}
