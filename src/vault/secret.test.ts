import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { format, inspect } from 'node:util';
import { Secret } from './secret.js';

const VALUE = 'hunter2-do-not-print';

describe('Secret', () => {
  const secret = new Secret(VALUE);

  test('reveals its value only when asked', () => {
    assert.equal(secret.reveal(), VALUE);
  });

  test('prints [secret] through String() and template strings', () => {
    // What careless code does with a secret is the point of this test.
    /* eslint-disable @typescript-eslint/restrict-template-expressions, @typescript-eslint/restrict-plus-operands */
    assert.equal(String(secret), '[secret]');
    assert.equal(`${secret}`, '[secret]');
    assert.equal('password: ' + secret, 'password: [secret]');
    /* eslint-enable @typescript-eslint/restrict-template-expressions, @typescript-eslint/restrict-plus-operands */
  });

  test('prints [secret] through JSON.stringify, also nested', () => {
    assert.equal(JSON.stringify(secret), '"[secret]"');
    assert.equal(JSON.stringify({ credential: 'db-root-key', secret }), '{"credential":"db-root-key","secret":"[secret]"}');
  });

  test('prints [secret] through util.inspect and console-style formatting, also nested', () => {
    assert.equal(inspect(secret), '[secret]');
    assert.ok(!inspect({ deep: { secret } }, { depth: 10, showHidden: true }).includes(VALUE));
    assert.ok(!format('%s %o %O %j', secret, secret, secret, secret).includes(VALUE));
  });

  test('never shows a Buffer value either', () => {
    const buffer = new Secret(Buffer.from(VALUE));
    for (const text of [String(buffer), JSON.stringify(buffer), inspect(buffer), format('%o', { buffer })]) {
      assert.ok(!text.includes(VALUE), text);
      assert.ok(!text.includes(Buffer.from(VALUE).toString('hex').slice(0, 8)), text);
    }
  });

  test('has no enumerable property holding the value', () => {
    assert.deepEqual(Object.keys(secret), []);
    assert.ok(!Object.values(secret).includes(VALUE));
  });
});
