import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  findRecoveryCode, generateRecoveryCodes, hashRecoveryCode, looksLikeRecoveryCode, looksLikeWithdrawnRecoveryCode, RECOVERY_CODE_COUNT,
} from './recovery-codes.js';

const FORMAT = /^[0-9a-hjkmnp-tv-z]{4}(-[0-9a-hjkmnp-tv-z]{4}){3}$/;

describe('generateRecoveryCodes', () => {
  test('ten codes of 16 base32 symbols (80 bits), all different', () => {
    const codes = generateRecoveryCodes();
    assert.equal(codes.length, RECOVERY_CODE_COUNT);
    for (const code of codes) assert.match(code, FORMAT);
    assert.equal(new Set(codes).size, codes.length);
  });

  test('use every symbol of the alphabet in every position', () => {
    const codes = generateRecoveryCodes(2_000).map((c) => c.replace(/-/g, ''));
    for (let position = 0; position < 16; position += 1) {
      assert.equal(new Set(codes.map((c) => c[position])).size, 32, `position ${position}`);
    }
  });
});

describe('recovery code hashes', () => {
  const [code, other] = generateRecoveryCodes(2);

  test('are argon2id with a salt of their own, and do not hold the code', async () => {
    const [a, b] = await Promise.all([hashRecoveryCode(code), hashRecoveryCode(code)]);
    assert.match(a, /^\$argon2id\$v=19\$/);
    assert.notEqual(a, b, 'two hashes of one code are equal: no salt');
    assert.ok(!a.includes(code.replace(/-/g, '')));
  });

  test('match the code as people type it, and name the stored hash that matched', async () => {
    const stored = await Promise.all([hashRecoveryCode(other), hashRecoveryCode(code)]);
    const typed = [code, code.toUpperCase(), code.replace(/-/g, ''), ` ${code.replace(/-/g, ' ')} `, code.replace(/0/g, 'O').replace(/1/g, 'l')];
    for (const variant of typed) assert.equal(await findRecoveryCode(variant, stored), stored[1], variant);
    assert.equal(await findRecoveryCode(other, stored), stored[0]);
  });

  test('match nothing else', async () => {
    const stored = [await hashRecoveryCode(code)];
    for (const wrong of [other, '123456', '', code.slice(0, -1), `${code}x`]) assert.equal(await findRecoveryCode(wrong, stored), null, wrong);
    assert.equal(await findRecoveryCode(code, []), null);
  });

  test('unsalted SHA-256 hashes of the first version are ignored', async () => {
    const legacyCode = '0a1b2-c3d4e';
    const legacyHash = createHash('sha256').update(legacyCode).digest('hex');
    assert.equal(await findRecoveryCode(legacyCode, [legacyHash]), null);
    assert.equal(looksLikeRecoveryCode(legacyCode), false);
    assert.equal(looksLikeWithdrawnRecoveryCode(legacyCode), true);
    assert.equal(looksLikeWithdrawnRecoveryCode(code), false);
  });

  test('a TOTP code does not look like a recovery code', () => {
    assert.equal(looksLikeRecoveryCode('123456'), false);
    assert.equal(looksLikeRecoveryCode(code), true);
  });
});
