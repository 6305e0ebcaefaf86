import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_SESSION_ENV, takeEnv } from './session-env.js';

test('only LANG, LC_* and TERM pass', () => {
  const env: Record<string, string> = {};
  assert.deepEqual(['LANG', 'LC_ALL', 'TERM', 'PATH', 'LD_PRELOAD', 'BASH_ENV', 'lang'].map((name) => takeEnv(env, name, 'x')), [true, true, true, false, false, false, false]);
  assert.deepEqual(Object.keys(env), ['LANG', 'LC_ALL', 'TERM']);
});

test(`a flood of env requests holds at most ${MAX_SESSION_ENV} variables; those already set may still change`, () => {
  const env: Record<string, string> = {};
  let accepted = 0;
  for (let i = 0; i < 100_000; i++) if (takeEnv(env, `LC_FLOOD_${i}`, 'v')) accepted++;
  assert.equal(accepted, MAX_SESSION_ENV);
  assert.equal(Object.keys(env).length, MAX_SESSION_ENV);
  assert.equal(takeEnv(env, 'LC_FLOOD_0', 'changed'), true);
  assert.equal(env.LC_FLOOD_0, 'changed');
});
