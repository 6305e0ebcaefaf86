/**
 * The login-name parser sees the first thing a stranger sends. Properties: it never throws;
 * it accepts nothing an operator's terminal would act on and nothing over the length
 * limit; what it says about a refused name is printable and short; and every valid
 * `user`, `user+target` and `user+login@target` comes back as the parts it was made of.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fuzz, fuzzTimeoutMs } from '../../test/helpers/fuzz.js';
import { printable } from '../log/printable.js';
import { MAX_LOGIN_NAME_LENGTH, parseLoginName } from './login-name.js';

/** Text from anywhere: bytes decoded as ssh2 decodes a user name, and any code points. */
const anyName = fc.oneof(
  fc.uint8Array({ maxLength: 1_200 }).map((bytes) => Buffer.from(bytes).toString('utf8')),
  fc.string({ unit: 'grapheme-composite', maxLength: 600 }),
  fc.string({ unit: fc.constantFrom('a', '+', '@', '\n', '\u001b', '\u009b', '\u202e', 'é', '\\'), maxLength: 40 }),
);

/** Characters of names people use: printable, including non-ASCII and backslash. */
const nameCharacter = fc.oneof(
  fc.constantFrom(...'abcxyzABC0189._-\\é日ß'),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }).filter((c) => printable(c) === c),
);
const part = (exclude: string) => fc.string({ unit: nameCharacter, minLength: 1, maxLength: 40 }).filter((s) => ![...exclude].some((c) => s.includes(c)));

/** A name printable() leaves alone, but for its backslashes. */
const showsAsIs = (text: string): boolean => printable(text) === text.replace(/\\/g, '\\\\');

test('parseLoginName never throws, accepts only printable names within the limit, and shows refusals briefly', { timeout: fuzzTimeoutMs() }, () =>
  fuzz(fc.property(anyName, (raw) => {
    const parsed = parseLoginName(raw);
    if (parsed.ok) {
      assert.ok(raw.length > 0 && raw.length <= MAX_LOGIN_NAME_LENGTH, `accepted a name of ${raw.length} characters`);
      assert.ok(showsAsIs(raw), `accepted ${JSON.stringify(raw)}`);
      const rebuilt = parsed.target === null ? parsed.user : `${parsed.user}+${parsed.login === null ? '' : `${parsed.login}@`}${parsed.target}`;
      assert.equal(rebuilt, raw);
    } else {
      for (const text of [parsed.user, parsed.shown, parsed.reason]) {
        assert.equal(printable(text), text.replace(/\\/g, '\\\\'), `${JSON.stringify(text)} is not printable`);
        assert.ok(Array.from(text).length <= 64 + 40, `${text.length} characters shown`);
      }
    }
  })));

test('user, user+target and user+login@target round-trip', { timeout: fuzzTimeoutMs() }, () =>
  fuzz(fc.property(part('+'), fc.option(part('@')), fc.option(part('')), (user, target, login) => {
    const raw = target === null ? user : `${user}+${login === null ? '' : `${login}@`}${target}`;
    fc.pre(raw.length <= MAX_LOGIN_NAME_LENGTH);
    assert.deepEqual(parseLoginName(raw), { ok: true, user, target, login: target === null ? null : login });
  })));
