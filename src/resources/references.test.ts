import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { deleteBlocker, findReferenceProblems, viaChain, type MergedView } from './references.js';
import { RoleSchema, TargetSchema, UserSchema, type Target } from '../domain/resources.js';

function target(name: string, via?: string, fields: Record<string, unknown> = {}): Target {
  return TargetSchema.parse({ kind: 'Target', name, host: `${name}.internal`, ...(via ? { via } : {}), ...fields });
}

function targetMap(...targets: Target[]): Map<string, Target> {
  return new Map(targets.map((t) => [t.name, t]));
}

describe('viaChain', () => {
  test('a target without via is a chain of one', () => {
    const db1 = target('db1');
    assert.deepEqual(viaChain(db1, targetMap(db1)), { names: ['db1'], problem: null });
  });

  test('follows via to the end', () => {
    const targets = targetMap(target('db1', 'dmz'), target('dmz', 'edge'), target('edge'));
    assert.deepEqual(viaChain(targets.get('db1')!, targets), { names: ['db1', 'dmz', 'edge'], problem: null });
  });

  test('a missing hop names it and the chain', () => {
    const targets = targetMap(target('db1', 'dmz'), target('dmz', 'ghost'));
    assert.equal(viaChain(targets.get('db1')!, targets).problem, 'via ghost names no target (chain db1 -> dmz -> ghost)');
  });

  test('a cycle names the chain', () => {
    const targets = targetMap(target('db1', 'a'), target('a', 'b'), target('b', 'a'));
    assert.equal(viaChain(targets.get('db1')!, targets).problem, 'via makes a cycle (db1 -> a -> b -> a)');
  });

  test('a target that is its own jump host is a cycle', () => {
    const targets = targetMap(target('db1', 'db1'));
    assert.equal(viaChain(targets.get('db1')!, targets).problem, 'via makes a cycle (db1 -> db1)');
  });
});

describe('findReferenceProblems', () => {
  function view(): MergedView {
    return {
      users: new Map([['alice', UserSchema.parse({ kind: 'User', name: 'alice', roles: ['dba', 'ghost-role'] })]]),
      roles: new Map([['dba', RoleSchema.parse({ kind: 'Role', name: 'dba' })]]),
      credentials: new Set(['db-root-key']),
      targets: targetMap(
        target('db1', 'dmz', { credential: 'db-root-key' }),
        target('dmz', 'db1', { credential: 'gone-key' }),
      ),
    };
  }

  test('reports what the changed resources name that does not exist', () => {
    const problems = findReferenceProblems(view(), new Set(['User/alice', 'Target/dmz']));
    assert.deepEqual(problems, [
      { kind: 'User', name: 'alice', message: 'role ghost-role does not exist (create it first: jumpgate role add ghost-role --allow …)' },
      { kind: 'Target', name: 'db1', message: 'via makes a cycle (db1 -> dmz -> db1)' },
      { kind: 'Target', name: 'dmz', message: 'credential gone-key does not exist (store it first: jumpgate credential set gone-key --type …)' },
      { kind: 'Target', name: 'dmz', message: 'via makes a cycle (dmz -> db1 -> dmz)' },
    ]);
  });

  test('leaves unchanged resources alone', () => {
    assert.deepEqual(findReferenceProblems(view(), new Set()), []);
  });

  test('a jump host needs a login and a credential, reported where the batch touches it', () => {
    const hopView = (hopFields: Record<string, unknown>): MergedView => ({
      users: new Map(), roles: new Map(), credentials: new Set(['hop-key']),
      targets: targetMap(target('db1', 'dmz'), target('dmz', undefined, hopFields), target('lone', undefined, { credential: 'hop-key' })),
    });
    assert.deepEqual(findReferenceProblems(hopView({ credential: 'hop-key' }), new Set(['Target/dmz'])), [
      { kind: 'Target', name: 'dmz', message: 'is the jump host (via) of db1 but has no login: the gateway logs into a jump host with its login and credential' },
    ]);
    assert.deepEqual(findReferenceProblems(hopView({}), new Set(['Target/db1'])), [
      { kind: 'Target', name: 'db1', message: 'via dmz, which has no login or credential: the gateway logs into a jump host with its login and credential' },
    ]);
    assert.deepEqual(findReferenceProblems(hopView({ login: 'hop' }), new Set(['Target/db1', 'Target/dmz'])), [
      { kind: 'Target', name: 'dmz', message: 'is the jump host (via) of db1 but has no credential: the gateway logs into a jump host with its login and credential' },
    ]);
    // A complete hop, and a target nobody jumps through (a ProxyJump-only target needs no login).
    assert.deepEqual(findReferenceProblems(hopView({ login: 'hop', credential: 'hop-key' }), new Set(['Target/db1', 'Target/dmz', 'Target/lone'])), []);
  });
});

describe('deleteBlocker', () => {
  const alice = UserSchema.parse({ kind: 'User', name: 'alice', roles: ['dba'] });
  const bob = UserSchema.parse({ kind: 'User', name: 'bob', roles: ['dba', 'ops'] });
  const view = {
    users: new Map([alice, bob].map((u) => [u.name, u])),
    targets: targetMap(target('db1', 'dmz', { credential: 'key' }), target('db2', undefined, { credential: 'key' }), target('dmz')),
    roles: new Map([RoleSchema.parse({ kind: 'Role', name: 'dba' })].map((r) => [r.name, r])),
  };

  test('a role held by users names them', () => {
    assert.equal(deleteBlocker('Role', 'dba', view), 'role dba is held by users alice, bob; take it from them first (jumpgate user set USER --role …)');
  });

  test('a credential used by targets names them', () => {
    assert.equal(deleteBlocker('Credential', 'key', view), 'credential key is used by targets db1, db2; change their credential first (jumpgate target set TARGET --credential …)');
  });

  test('a jump host names the targets behind it', () => {
    assert.equal(deleteBlocker('Target', 'dmz', view), 'target dmz is the jump host of db1; change their via first (jumpgate target set TARGET --via …)');
  });

  test('what nothing names may go', () => {
    assert.equal(deleteBlocker('Role', 'unused', view), null);
    assert.equal(deleteBlocker('Credential', 'other', view), null);
    assert.equal(deleteBlocker('Target', 'db1', view), null);
    assert.equal(deleteBlocker('User', 'alice', view), null);
  });
});

describe('requestable roles and their approvers', () => {
  const role = (name: string, approvers?: string[]) => RoleSchema.parse({ kind: 'Role', name, ...(approvers ? { requestable: { maxDuration: '4h', approvers } } : {}) });
  const view = (...roles: ReturnType<typeof role>[]): MergedView => ({ users: new Map(), targets: new Map(), roles: new Map(roles.map((r) => [r.name, r])), credentials: new Set() });

  test('approvers name existing roles', () => {
    assert.deepEqual(findReferenceProblems(view(role('dba', ['sec-leads', 'ghost']), role('sec-leads')), new Set(['Role/dba'])),
      [{ kind: 'Role', name: 'dba', message: 'requestable.approvers: role ghost does not exist (create it first)' }]);
  });

  test('an approver role cannot be deleted while a requestable role names it', () => {
    assert.equal(deleteBlocker('Role', 'sec-leads', view(role('dba', ['sec-leads']), role('sec-leads'))),
      'role sec-leads approves requests for role dba; change their requestable.approvers first');
    assert.equal(deleteBlocker('Role', 'dba', view(role('dba', ['sec-leads']), role('sec-leads'))), null);
  });
});
