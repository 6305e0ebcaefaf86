import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RoleSchema, UserSchema, type Role } from '../domain/resources.js';
import type { AccessRequestRecord } from '../requests/access-request.js';
import { heldRoles } from './effective-roles.js';

const roles = new Map<string, Role>([
  ['engineers', RoleSchema.parse({ kind: 'Role', name: 'engineers' })],
  ['dba', RoleSchema.parse({ kind: 'Role', name: 'dba', requestable: { maxDuration: '4h', approvers: ['sec-leads'] } })],
  ['ops', RoleSchema.parse({ kind: 'Role', name: 'ops' })],
]);
const grant = (role: string, until: string): AccessRequestRecord => ({
  id: `id-${role}`, user: 'alice', role, durationMs: 1000, reason: 'x', status: 'approved', createdAt: until, lapsesAt: until,
  decidedBy: 'carol', decidedAt: until, decisionReason: null, until,
});

function stores(grants: AccessRequestRecord[]) {
  return {
    roles: { get: async (name: string) => roles.get(name) ?? null, list: async () => [...roles.values()] },
    requests: { liveGrants: async () => grants },
  };
}

describe('the roles a user holds now', () => {
  const alice = UserSchema.parse({ kind: 'User', name: 'alice', roles: ['engineers', 'gone'] });

  test('static roles, plus roles granted by live requests, with the grant behind each', async () => {
    const held = await heldRoles(stores([grant('dba', '2026-06-01T13:00:00.000Z')]), alice);
    assert.deepEqual(held.roles.map((r) => r.name), ['engineers', 'dba']);
    assert.deepEqual([...held.grants.keys()], ['dba']);
  });

  test('a grant of a role held statically adds nothing; a grant of a role no longer requestable counts for nothing', async () => {
    const engineer = UserSchema.parse({ kind: 'User', name: 'alice', roles: ['engineers', 'dba'] });
    const held = await heldRoles(stores([grant('dba', '2026-06-01T13:00:00.000Z'), grant('ops', '2026-06-01T13:00:00.000Z')]), engineer);
    assert.deepEqual(held.roles.map((r) => r.name), ['engineers', 'dba']);
    assert.deepEqual([...held.grants.keys()], []);
  });
});
