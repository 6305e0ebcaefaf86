import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkTypeFilter } from './type-filter.js';

test('event types and their families are accepted', () => {
  for (const text of ['session', 'session.start', 'auth.failure', 'config', 'alert']) assert.deepEqual(checkTypeFilter(text), { ok: true }, text);
});

test('a typo is refused with the nearest type', () => {
  const check = checkTypeFilter('sesion');
  assert.equal(check.ok, false);
  assert.match(!check.ok ? check.message : '', /^--type sesion: unknown event type \(did you mean session\?\); the types are auth\.success, /);
});

test('a word far from every type gets the list without a guess', () => {
  const check = checkTypeFilter('xyzzy');
  assert.match(!check.ok ? check.message : '', /^--type xyzzy: unknown event type; the types are /);
});
