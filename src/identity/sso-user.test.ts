import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ssoUser } from './sso-user.js';
import type { Role, User } from '../domain/resources.js';

const role = (name: string, groups?: string[]): Role => ({ kind: 'Role', name, allow: [], ...(groups ? { groups } : {}) });
const ROLES = [role('dba', ['dba-team']), role('ops', ['ops', 'sre']), role('auditor')];
const user = (roles: string[], extra: Partial<User> = {}): User => ({ kind: 'User', name: 'alice', roles, keys: [], sourceCidrs: [], disabled: false, source: 'oidc', ...extra });

describe('ssoUser', () => {
  test('a first sign-in creates the user with the roles its groups map to', () => {
    const made = ssoUser(null, 'alice', ['sre', 'dba-team', 'other'], ROLES);
    assert.deepEqual(made, { ok: true, action: 'create', user: user(['dba', 'ops']) });
  });

  test('a later sign-in adds and removes mapped roles, and keeps roles an operator gave', () => {
    const before = user(['auditor', 'dba']);
    assert.deepEqual(ssoUser(before, 'alice', ['ops'], ROLES), { ok: true, action: 'update', user: user(['auditor', 'ops']) });
    assert.deepEqual(ssoUser(before, 'alice', ['dba-team'], ROLES), { ok: true, action: 'unchanged', user: before });
    assert.deepEqual(ssoUser(before, 'alice', 'dba-team', ROLES), { ok: true, action: 'unchanged', user: before }, 'one group as a string');
    assert.deepEqual(ssoUser(before, 'alice', undefined, ROLES), { ok: true, action: 'update', user: user(['auditor']) }, 'no groups claim: no mapped role');
  });

  test('refuses a local user of that name, a disabled user and a name jumpgate cannot hold', () => {
    assert.equal(ssoUser(user([], { source: undefined }), 'alice', [], ROLES).ok, false);
    assert.deepEqual(ssoUser(user([], { disabled: true }), 'alice', [], ROLES), { ok: false, reason: 'user disabled' });
    for (const name of ['', '../x', 'a b', 42, null, 'x'.repeat(64)]) assert.equal(ssoUser(null, name, [], ROLES).ok, false, String(name));
  });
});
