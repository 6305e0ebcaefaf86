import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parseLoginName, type LoginName } from './login-name.js';

const cases: Array<[raw: string, expected: LoginName]> = [
  ['alice', { ok: true, user: 'alice', target: null, login: null }],
  ['alice+db1', { ok: true, user: 'alice', target: 'db1', login: null }],
  ['alice+postgres@db1', { ok: true, user: 'alice', target: 'db1', login: 'postgres' }],
  ['alice+a@b@db1', { ok: true, user: 'alice', target: 'db1', login: 'a@b' }],
  ['alice+root@10.0.2.5', { ok: true, user: 'alice', target: '10.0.2.5', login: 'root' }],
  ['+db1', { ok: false, user: '', reason: 'no user before "+"' }],
  ['alice+', { ok: false, user: 'alice', reason: 'no target after "+"' }],
  ['alice+postgres@', { ok: false, user: 'alice', reason: 'no target after "+"' }],
  ['alice+@db1', { ok: false, user: 'alice', reason: 'no login before "@"' }],
];

describe('parseLoginName', () => {
  for (const [raw, expected] of cases) {
    test(JSON.stringify(raw), () => assert.deepEqual(parseLoginName(raw), expected));
  }
});
