import { test } from 'node:test';
import assert from 'node:assert/strict';
import { printable } from './printable.js';

test('ordinary text, including non-Latin letters, is left alone', () => {
  for (const text of ['alice', 'db1.example:22', 'Jürgen Ωμέγα 東京', 'ls -la /tmp', '']) assert.equal(printable(text), text);
});

test('line breaks, escapes and terminal controls are shown, not acted on', () => {
  assert.equal(printable('alice\n2026-01-01 auth.success root'), 'alice\\x0a2026-01-01 auth.success root');
  assert.equal(printable('\x1b]0;pwned\x07\x1b[2J'), '\\x1b]0;pwned\\x07\\x1b[2J');
  assert.equal(printable('a\rb\x7fc\x9bd'), 'a\\x0db\\x7fc\\x9bd');
  assert.equal(printable('evil\u202etxt.exe'), 'evil\\u{202e}txt.exe');
  assert.equal(printable('line\u2028sep'), 'line\\u{2028}sep');
});

test('a backslash is escaped, so an escape in the output is never the sender\'s', () => {
  assert.equal(printable('a\\x0ab'), 'a\\\\x0ab');
});


test('a token is quoted only when it must be, and JSON stays JSON without raw controls', async () => {
  const { printableToken, printableJson } = await import('./printable.js');
  assert.equal(printableToken('alice'), 'alice');
  assert.equal(printableToken('two words'), '"two words"');
  assert.equal(printableToken('say "hi"\n'), '"say \\"hi\\"\\x0a"');
  const json = printableJson({ name: 'a\x1b\x9b\u202eb' });
  assert.equal(json, '{"name":"a\\u001b\\u009b\\u202eb"}');
  assert.deepEqual(JSON.parse(json), { name: 'a\x1b\x9b\u202eb' });
});
