import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { gatewayAlgorithms, LEGACY_SIGNATURES, MODERN } from './algorithms.js';
import { SettingsError } from '../config/load-settings.js';

interface Ssh2Constants {
  SUPPORTED_KEX: string[];
  SUPPORTED_CIPHER: string[];
  SUPPORTED_MAC: string[];
  SUPPORTED_SERVER_HOST_KEY: string[];
}
const ssh2Constants = createRequire(import.meta.url)('ssh2/lib/protocol/constants.js') as Ssh2Constants;

describe('gatewayAlgorithms defaults', () => {
  const defaults = gatewayAlgorithms({});
  const all = [...defaults.kex, ...defaults.cipher, ...defaults.hmac, ...defaults.serverHostKey];

  test('are the modern lists', () => {
    assert.deepEqual(defaults, { kex: [...MODERN.kex], cipher: [...MODERN.ciphers], hmac: [...MODERN.macs], serverHostKey: [...MODERN.hostKeys] });
  });

  test('hold no CBC, no SHA-1, no finite-field DH group1, no ssh-rsa or DSA', () => {
    for (const name of all) {
      assert.doesNotMatch(name, /cbc|sha1|group1\b|group1-|arcfour|3des|md5|ssh-dss|^ssh-rsa$/i, name);
    }
    assert.ok(!defaults.serverHostKey.some((name) => LEGACY_SIGNATURES.has(name)));
  });

  test('put encrypt-then-MAC first', () => {
    assert.match(defaults.hmac[0], /-etm@openssh\.com$/);
    const firstPlain = defaults.hmac.findIndex((name) => !name.includes('-etm@'));
    assert.ok(defaults.hmac.slice(firstPlain).every((name) => !name.includes('-etm@')));
  });

  test('are all ones the ssh2 library can negotiate', () => {
    assert.deepEqual(defaults.kex.filter((n) => !ssh2Constants.SUPPORTED_KEX.includes(n)), []);
    assert.deepEqual(defaults.cipher.filter((n) => !ssh2Constants.SUPPORTED_CIPHER.includes(n)), []);
    assert.deepEqual(defaults.hmac.filter((n) => !ssh2Constants.SUPPORTED_MAC.includes(n)), []);
    assert.deepEqual(defaults.serverHostKey.filter((n) => !ssh2Constants.SUPPORTED_SERVER_HOST_KEY.includes(n)), []);
  });

  test('are copies: changing them does not change the next call', () => {
    defaults.kex.length = 0;
    assert.deepEqual(gatewayAlgorithms({}).kex, [...MODERN.kex]);
  });
});

describe('gatewayAlgorithms narrowing', () => {
  test('keeps exactly the subset given, in its order, and the rest at defaults', () => {
    const narrowed = gatewayAlgorithms({ ciphers: ['aes256-gcm@openssh.com', 'chacha20-poly1305@openssh.com'], kex: ['curve25519-sha256'] });
    assert.deepEqual(narrowed.cipher, ['aes256-gcm@openssh.com', 'chacha20-poly1305@openssh.com']);
    assert.deepEqual(narrowed.kex, ['curve25519-sha256']);
    assert.deepEqual(narrowed.hmac, [...MODERN.macs]);
    assert.deepEqual(narrowed.serverHostKey, [...MODERN.hostKeys]);
  });

  const refused: Array<[keyof Parameters<typeof gatewayAlgorithms>[0], string]> = [
    ['ciphers', 'aes128-cbc'],
    ['macs', 'hmac-sha1'],
    ['kex', 'diffie-hellman-group1-sha1'],
    ['kex', 'diffie-hellman-group14-sha1'],
    ['hostKeys', 'ssh-rsa'],
    ['ciphers', 'aes256-gcm'],
  ];
  for (const [kind, name] of refused) {
    test(`refuses ${kind} ${name} beside a modern one, naming it`, () => {
      assert.throws(() => gatewayAlgorithms({ [kind]: [MODERN[kind][0], name] }), (error: unknown) => {
        assert.ok(error instanceof SettingsError);
        assert.ok(error.message.includes(`ssh.algorithms.${kind}`), error.message);
        assert.ok(error.message.includes(name), error.message);
        return true;
      });
    });
  }
});
