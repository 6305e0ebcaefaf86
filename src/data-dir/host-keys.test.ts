import { test } from 'node:test';
import assert from 'node:assert/strict';
import ssh2 from 'ssh2';

const { generateKeyPairSync, parseKey } = ssh2.utils;

// ssh2 once wrote a malformed key whenever the public key began with a zero byte (about
// one key in 256), and `jumpgate init` writes host keys with it: a thousand in a row must
// all parse back.
test('every generated ed25519 host key parses back', () => {
  for (let i = 0; i < 1000; i++) {
    const pair = generateKeyPairSync('ed25519');
    const parsed = parseKey(pair.private);
    assert.ok(!(parsed instanceof Error), `key ${i}: ${parsed instanceof Error ? parsed.message : ''}`);
  }
});
