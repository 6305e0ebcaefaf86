import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { keyId, loadVault, parseKeyFile, Vault, VaultError } from './vault.js';
import { Secret } from './secret.js';

const KEY = randomBytes(32);
const SECRET = Buffer.from('correct horse battery staple');

/** Asserts that opening fails with a VaultError naming the credential. */
function assertRefused(open: () => unknown, credential: string): void {
  assert.throws(open, (error: unknown) => {
    assert.ok(error instanceof VaultError, `expected a VaultError, got ${String(error)}`);
    assert.equal(error.code, 'VAULT');
    assert.ok(error.message.includes(`credential ${credential}`), error.message);
    return true;
  });
}

/** The envelope with its binary part (nonce|tag|ciphertext) changed by `change`. */
function tamper(sealed: string, change: (raw: Buffer) => void): string {
  const cut = sealed.lastIndexOf(':') + 1;
  const raw = Buffer.from(sealed.slice(cut), 'base64');
  change(raw);
  return sealed.slice(0, cut) + raw.toString('base64');
}

/** An envelope of this vault's format around arbitrary bytes. */
function envelope(key: Buffer, raw: Buffer): string {
  return `v1:${keyId(key)}:${raw.toString('base64')}`;
}

describe('Vault', () => {
  const vault = new Vault([KEY]);

  test('opens what it sealed', () => {
    const opened = vault.open('db-root-key', vault.seal('db-root-key', SECRET));
    assert.ok(opened instanceof Secret);
    assert.deepEqual(opened.reveal(), SECRET);
  });

  test('round-trips an empty secret and binary data', () => {
    assert.deepEqual(vault.open('a', vault.seal('a', Buffer.alloc(0))).reveal(), Buffer.alloc(0));
    const binary = randomBytes(4096);
    assert.deepEqual(vault.open('b', vault.seal('b', binary)).reveal(), binary);
  });

  test('seals the same secret differently each time and never in clear', () => {
    const one = vault.seal('db-root-key', SECRET);
    const two = vault.seal('db-root-key', SECRET);
    assert.notEqual(one, two);
    for (const sealed of [one, two]) {
      assert.ok(sealed.startsWith('v1:'));
      assert.ok(!sealed.includes(SECRET.toString('base64')));
      assert.ok(!Buffer.from(sealed.slice(sealed.lastIndexOf(':') + 1), 'base64').includes(SECRET));
    }
  });

  test('refuses another vault key, naming the credential', () => {
    const sealed = vault.seal('db-root-key', SECRET);
    assertRefused(() => new Vault([randomBytes(32)]).open('db-root-key', sealed), 'db-root-key');
  });

  test('refuses a sealed secret moved to another credential', () => {
    const sealed = vault.seal('db-root-key', SECRET);
    assertRefused(() => vault.open('hop-key', sealed), 'hop-key');
  });

  test('refuses a changed ciphertext byte', () => {
    const sealed = tamper(vault.seal('db-root-key', SECRET), (raw) => { raw[raw.length - 1] ^= 0x01; });
    assertRefused(() => vault.open('db-root-key', sealed), 'db-root-key');
  });

  test('refuses a changed tag byte', () => {
    const sealed = tamper(vault.seal('db-root-key', SECRET), (raw) => { raw[12] ^= 0x80; });
    assertRefused(() => vault.open('db-root-key', sealed), 'db-root-key');
  });

  test('refuses a changed nonce byte', () => {
    const sealed = tamper(vault.seal('db-root-key', SECRET), (raw) => { raw[0] ^= 0x01; });
    assertRefused(() => vault.open('db-root-key', sealed), 'db-root-key');
  });

  test('refuses an unknown envelope version or plain text', () => {
    assertRefused(() => vault.open('db-root-key', vault.seal('db-root-key', SECRET).replace(/^v1:/, 'v2:')), 'db-root-key');
    assertRefused(() => vault.open('db-root-key', 'plain text'), 'db-root-key');
    assertRefused(() => vault.open('db-root-key', ''), 'db-root-key');
  });

  const truncated: Array<[string, Buffer]> = [
    ['nothing after the key id', Buffer.alloc(0)],
    ['three bytes', Buffer.alloc(3)],
    ['shorter than nonce and tag', randomBytes(20)],
  ];
  for (const [label, raw] of truncated) {
    test(`refuses a truncated envelope (${label}), naming the credential`, () => {
      assertRefused(() => vault.open('db-root-key', envelope(KEY, raw)), 'db-root-key');
    });
  }

  // AES-GCM accepts short tags unless told the length; a 4-byte tag makes forgery cheap.
  test('refuses an envelope whose tag is shorter than 16 bytes', () => {
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', KEY, nonce, { authTagLength: 4 });
    cipher.setAAD(Buffer.from('db-root-key'));
    const body = Buffer.concat([cipher.update(Buffer.alloc(0)), cipher.final()]);
    assertRefused(() => vault.open('db-root-key', envelope(KEY, Buffer.concat([nonce, cipher.getAuthTag(), body]))), 'db-root-key');
  });

  test('needs at least one key, each of 32 bytes', () => {
    assert.throws(() => new Vault([]), VaultError);
    assert.throws(() => new Vault([randomBytes(16)]), VaultError);
    assert.throws(() => new Vault([KEY, randomBytes(31)]), VaultError);
  });
});

describe('Vault during key rotation', () => {
  const oldKey = randomBytes(32);
  const newKey = randomBytes(32);

  test('opens secrets sealed under any key it holds and seals under the first', () => {
    const oldSealed = new Vault([oldKey]).seal('c', SECRET);
    const both = new Vault([newKey, oldKey]);
    assert.deepEqual(both.open('c', oldSealed).reveal(), SECRET);
    assert.equal(both.currentKeyId, keyId(newKey));
    assert.deepEqual(new Vault([newKey]).open('c', both.seal('c', SECRET)).reveal(), SECRET);
  });

  test('refuses a secret sealed under a key it no longer holds, naming the credential', () => {
    const oldSealed = new Vault([oldKey]).seal('c', SECRET);
    assertRefused(() => new Vault([newKey]).open('c', oldSealed), 'c');
  });
});

describe('loadVault', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'jumpgate-vault-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('reads a base64 key file', () => {
    const file = path.join(dir, 'vault.key');
    writeFileSync(file, KEY.toString('base64') + '\n');
    const sealed = new Vault([KEY]).seal('c', SECRET);
    assert.deepEqual(loadVault(file, {}).open('c', sealed).reveal(), SECRET);
  });

  test('prefers JUMPGATE_VAULT_KEY over the file', () => {
    const other = randomBytes(32);
    const file = path.join(dir, 'vault.key');
    writeFileSync(file, KEY.toString('base64'));
    const sealed = new Vault([other]).seal('c', SECRET);
    assert.deepEqual(loadVault(file, { JUMPGATE_VAULT_KEY: other.toString('base64') }).open('c', sealed).reveal(), SECRET);
  });

  test('says which file is missing', () => {
    const missing = path.join(dir, 'nope.key');
    assert.throws(() => loadVault(missing, {}), (error: unknown) => error instanceof VaultError && error.message.includes(missing) && error.message.includes('JUMPGATE_VAULT_KEY'));
  });

  test('refuses a key of the wrong length', () => {
    assert.throws(() => loadVault(path.join(dir, 'nope.key'), { JUMPGATE_VAULT_KEY: randomBytes(16).toString('base64') }), VaultError);
  });

  test('parseKeyFile skips blank lines and comments', () => {
    const keys = parseKeyFile(`# current\n${KEY.toString('base64')}\n\n  # old\n`);
    assert.deepEqual(keys, [KEY]);
  });
});
