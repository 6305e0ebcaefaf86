import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_LOGIN_NAME_LENGTH, parseLoginName, type LoginName } from './login-name.js';

const cases: Array<[raw: string, expected: LoginName]> = [
  ['alice', { ok: true, user: 'alice', target: null, login: null }],
  ['alice+db1', { ok: true, user: 'alice', target: 'db1', login: null }],
  ['alice+postgres@db1', { ok: true, user: 'alice', target: 'db1', login: 'postgres' }],
  ['alice+a@b@db1', { ok: true, user: 'alice', target: 'db1', login: 'a@b' }],
  ['alice+root@10.0.2.5', { ok: true, user: 'alice', target: '10.0.2.5', login: 'root' }],
  ['élodie+db1', { ok: true, user: 'élodie', target: 'db1', login: null }],
  ['+db1', { ok: false, user: '', shown: '+db1', reason: 'no user before "+"' }],
  ['alice+', { ok: false, user: 'alice', shown: 'alice+', reason: 'no target after "+"' }],
  ['alice+postgres@', { ok: false, user: 'alice', shown: 'alice+postgres@', reason: 'no target after "+"' }],
  ['alice+@db1', { ok: false, user: 'alice', shown: 'alice+@db1', reason: 'no login before "@"' }],
  ['', { ok: false, user: '', shown: '', reason: 'empty' }],
  // What would forge an audit line or act on an operator's terminal.
  ['alice\nforged', { ok: false, user: 'alice\\x0aforged', shown: 'alice\\x0aforged', reason: 'holds control or formatting character U+000A' }],
  ['alice+db1\r', { ok: false, user: 'alice', shown: 'alice+db1\\x0d', reason: 'holds control or formatting character U+000D' }],
  ['\u001b]0;owned\u0007alice', { ok: false, user: '\\x1b]0;owned\\x07alice', shown: '\\x1b]0;owned\\x07alice', reason: 'holds control or formatting character U+001B' }],
  ['alice\u007f', { ok: false, user: 'alice\\x7f', shown: 'alice\\x7f', reason: 'holds control or formatting character U+007F' }],
  ['alice\u009b2J', { ok: false, user: 'alice\\x9b2J', shown: 'alice\\x9b2J', reason: 'holds control or formatting character U+009B' }],
  ['alice\u202e', { ok: false, user: 'alice\\u{202e}', shown: 'alice\\u{202e}', reason: 'holds control or formatting character U+202E' }],
  ['alice\u2028', { ok: false, user: 'alice\\u{2028}', shown: 'alice\\u{2028}', reason: 'holds control or formatting character U+2028' }],
  ['ali\u200bce', { ok: false, user: 'ali\\u{200b}ce', shown: 'ali\\u{200b}ce', reason: 'holds control or formatting character U+200B' }],
  ['alice\u0000', { ok: false, user: 'alice\\x00', shown: 'alice\\x00', reason: 'holds control or formatting character U+0000' }],
];

describe('parseLoginName', () => {
  for (const [raw, expected] of cases) {
    test(JSON.stringify(raw), () => assert.deepEqual(parseLoginName(raw), expected));
  }

  test(`a name of ${MAX_LOGIN_NAME_LENGTH} characters is parsed, a longer one refused and shown shortened`, () => {
    const longest = `alice+root@${'h'.repeat(MAX_LOGIN_NAME_LENGTH - 11)}`;
    assert.equal(longest.length, MAX_LOGIN_NAME_LENGTH);
    assert.equal(parseLoginName(longest).ok, true);
    const tooLong = `${'a'.repeat(30_000)}+db1`;
    assert.deepEqual(parseLoginName(tooLong), {
      ok: false,
      user: `${'a'.repeat(64)}… (30000 characters)`,
      shown: `${'a'.repeat(64)}… (30004 characters)`,
      reason: `longer than ${MAX_LOGIN_NAME_LENGTH} characters`,
    });
  });
});
