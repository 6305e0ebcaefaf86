import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { decide, describeGrant, type AccessRequest, type Decision } from './decide.js';
import { RoleSchema, TargetSchema, UserSchema, type AccessKind, type Role, type Target, type User } from '../domain/resources.js';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBmFkQ0E3kC5wNQxZRXNk2ZpcR3K7ZSRjwpZUj3pGkd7 alice@laptop';

function user(fields: Record<string, unknown> = {}): User {
  return UserSchema.parse({ kind: 'User', name: 'alice', roles: ['dba'], keys: [KEY], ...fields });
}

function target(fields: Record<string, unknown> = {}): Target {
  return TargetSchema.parse({ kind: 'Target', name: 'db1', host: '10.0.2.5', ...fields });
}

function role(name: string, ...rules: Record<string, unknown>[]): Role {
  return RoleSchema.parse({ kind: 'Role', name, allow: rules });
}

/** `allow`, `need`, or `deny: <reason>`: what a user or operator sees of a decision. */
function summary(decision: Decision): string {
  return decision.outcome === 'deny' ? `deny: ${decision.reason}` : decision.outcome;
}

interface Case {
  name: string;
  roles: Role[];
  access: AccessKind;
  user?: User;
  target?: Target;
  port?: number;
  login?: string;
  sourceIp?: string;
  mfaVerified?: boolean;
  expect: string;
}

function run(c: Omit<Case, 'name' | 'expect'>): Decision {
  const request: AccessRequest = {
    user: c.user ?? user(),
    roles: c.roles,
    target: c.target ?? target(),
    access: c.access,
    port: c.port,
    login: c.login,
    sourceIp: c.sourceIp,
    mfaVerified: c.mfaVerified ?? false,
  };
  return decide(request);
}

function table(title: string, cases: Case[]): void {
  describe(title, () => {
    for (const c of cases) {
      test(c.name, () => assert.equal(summary(run(c)), c.expect));
    }
  });
}

const jumpDb1 = { targets: ['db1'], access: ['jump'] };

table('deny by default', [
  { name: 'a user without roles', user: user({ roles: [] }), roles: [], access: 'jump', port: 22, expect: 'deny: alice has no roles' },
  { name: 'a role the store does not hold', roles: [], access: 'jump', port: 22, expect: 'deny: no rule grants db1' },
  { name: 'a role without rules', roles: [role('dba')], access: 'jump', port: 22, expect: 'deny: no rule grants db1' },
  { name: 'a rule for another target', roles: [role('dba', { targets: ['db2'], access: ['jump'] })], access: 'jump', port: 22, expect: 'deny: no rule grants db1' },
]);

table('which targets a rule grants', [
  { name: 'by name', roles: [role('dba', jumpDb1)], access: 'jump', port: 22, expect: 'allow' },
  { name: 'by *', roles: [role('dba', { targets: ['*'], access: ['jump'] })], access: 'jump', port: 22, expect: 'allow' },
  {
    name: 'by labels when every label matches (extra target labels are fine)',
    target: target({ labels: { env: 'prod', zone: 'db', team: 'data' } }),
    roles: [role('dba', { labels: { env: 'prod', zone: 'db' }, access: ['jump'] })],
    access: 'jump', port: 22, expect: 'allow',
  },
  {
    name: 'not by labels when one label differs',
    target: target({ labels: { env: 'prod', zone: 'web' } }),
    roles: [role('dba', { labels: { env: 'prod', zone: 'db' }, access: ['jump'] })],
    access: 'jump', port: 22, expect: 'deny: no rule grants db1',
  },
  {
    name: 'not by labels when the target lacks a label',
    target: target({ labels: { env: 'prod' } }),
    roles: [role('dba', { labels: { env: 'prod', zone: 'db' }, access: ['jump'] })],
    access: 'jump', port: 22, expect: 'deny: no rule grants db1',
  },
  {
    name: 'not by an empty label selector',
    target: target({ labels: { env: 'prod' } }),
    roles: [role('dba', { labels: {}, access: ['jump'] })],
    access: 'jump', port: 22, expect: 'deny: no rule grants db1',
  },
  {
    name: 'by name even when its labels do not match',
    target: target({ labels: { env: 'dev' } }),
    roles: [role('dba', { targets: ['db1'], labels: { env: 'prod' }, access: ['jump'] })],
    access: 'jump', port: 22, expect: 'allow',
  },
]);

table('access kinds', [
  { name: 'session rule, jump request', roles: [role('dba', { targets: ['db1'], access: ['session'] })], access: 'jump', port: 22, expect: 'deny: no rule grants jump access to db1' },
  { name: 'jump rule, forward request', roles: [role('dba', jumpDb1)], access: 'forward', port: 5432, expect: 'deny: no rule grants forward access to db1' },
  { name: 'jump rule, sftp request', roles: [role('dba', jumpDb1)], access: 'sftp', login: 'root', target: target({ login: 'root' }), expect: 'deny: no rule grants sftp access to db1' },
]);

table('ports for jump and forward', [
  { name: 'no ports: jump to 22', roles: [role('dba', jumpDb1)], access: 'jump', port: 22, expect: 'allow' },
  { name: "no ports: jump to the target's own port", target: target({ port: 2200 }), roles: [role('dba', jumpDb1)], access: 'jump', port: 2200, expect: 'allow' },
  { name: 'no ports: jump to another port', roles: [role('dba', jumpDb1)], access: 'jump', port: 5432, expect: 'deny: no rule grants port 5432' },
  { name: 'no ports: forward to 22', roles: [role('dba', { targets: ['db1'], access: ['forward'] })], access: 'forward', port: 22, expect: 'deny: no rule grants port 22' },
  { name: 'no ports: forward to 5432', roles: [role('dba', { targets: ['db1'], access: ['forward'] })], access: 'forward', port: 5432, expect: 'deny: no rule grants port 5432' },
  { name: 'ports: forward to a listed port', roles: [role('dba', { targets: ['db1'], access: ['forward'], ports: [5432] })], access: 'forward', port: 5432, expect: 'allow' },
  { name: 'ports: forward to an unlisted port', roles: [role('dba', { targets: ['db1'], access: ['forward'], ports: [5432] })], access: 'forward', port: 3306, expect: 'deny: no rule grants port 3306' },
  { name: 'ports: jump to a listed port', roles: [role('dba', { targets: ['db1'], access: ['jump'], ports: [22, 5432] })], access: 'jump', port: 5432, expect: 'allow' },
  { name: 'ports replace the default: jump to 22 not listed', roles: [role('dba', { targets: ['db1'], access: ['jump'], ports: [5432] })], access: 'jump', port: 22, expect: 'deny: no rule grants port 22' },
]);

// A target whose sshd listens on 2200: the port is the one the gateway dials (a route's).
const on2200 = target({ port: 2200 });
table('ports of a target whose SSH port is not 22', [
  { name: 'no ports: jump to its SSH port', target: on2200, roles: [role('dba', jumpDb1)], access: 'jump', port: 2200, expect: 'allow' },
  { name: 'no ports: never port 22 of its host', target: on2200, roles: [role('dba', jumpDb1)], access: 'jump', port: 22, expect: 'deny: no rule grants port 22' },
  { name: 'no ports: no forward to port 22 either', target: on2200, roles: [role('dba', { targets: ['db1'], access: ['jump', 'forward'] })], access: 'forward', port: 22, expect: 'deny: no rule grants port 22' },
  { name: 'ports [22]: 22 stands for its SSH port', target: on2200, roles: [role('dba', { ...jumpDb1, ports: [22] })], access: 'jump', port: 2200, expect: 'allow' },
  { name: 'ports [22]: not the literal port 22 of its host', target: on2200, roles: [role('dba', { targets: ['db1'], access: ['jump', 'forward'], ports: [22] })], access: 'forward', port: 22, expect: 'deny: no rule grants port 22' },
  { name: 'ports [2200]: its SSH port by number', target: on2200, roles: [role('dba', { ...jumpDb1, ports: [2200] })], access: 'jump', port: 2200, expect: 'allow' },
  { name: 'ports [22, 5432]: a forward to a listed port', target: on2200, roles: [role('dba', { targets: ['db1'], access: ['forward'], ports: [22, 5432] })], access: 'forward', port: 5432, expect: 'allow' },
]);

table('logins for session and sftp', [
  { name: "no logins: the target's default login", target: target({ login: 'root' }), roles: [role('dba', { targets: ['db1'], access: ['session'] })], access: 'session', login: 'root', expect: 'allow' },
  { name: 'no logins: another login', target: target({ login: 'root' }), roles: [role('dba', { targets: ['db1'], access: ['session'] })], access: 'session', login: 'postgres', expect: 'deny: no rule grants login postgres' },
  { name: 'no logins and no target login', roles: [role('dba', { targets: ['db1'], access: ['session'] })], access: 'session', login: 'root', expect: 'deny: no rule grants login root' },
  { name: 'logins: a listed login', target: target({ login: 'root' }), roles: [role('dba', { targets: ['db1'], access: ['sftp'], logins: ['postgres'] })], access: 'sftp', login: 'postgres', expect: 'allow' },
  { name: "logins replace the default: the target's login not listed", target: target({ login: 'root' }), roles: [role('dba', { targets: ['db1'], access: ['session'], logins: ['postgres'] })], access: 'session', login: 'root', expect: 'deny: no rule grants login root' },
]);

const anyJump = [role('dba', jumpDb1)];
table('user source addresses', [
  { name: 'IPv4 inside', user: user({ sourceCidrs: ['203.0.113.0/24'] }), roles: anyJump, access: 'jump', port: 22, sourceIp: '203.0.113.7', expect: 'allow' },
  { name: 'IPv4 outside', user: user({ sourceCidrs: ['203.0.113.0/24'] }), roles: anyJump, access: 'jump', port: 22, sourceIp: '198.51.100.1', expect: 'deny: alice may not connect from 198.51.100.1' },
  { name: 'IPv4-mapped IPv6 inside', user: user({ sourceCidrs: ['203.0.113.0/24'] }), roles: anyJump, access: 'jump', port: 22, sourceIp: '::ffff:203.0.113.7', expect: 'allow' },
  { name: 'IPv4-mapped IPv6 outside', user: user({ sourceCidrs: ['203.0.113.0/24'] }), roles: anyJump, access: 'jump', port: 22, sourceIp: '::ffff:198.51.100.1', expect: 'deny: alice may not connect from ::ffff:198.51.100.1' },
  { name: 'IPv6 inside', user: user({ sourceCidrs: ['2001:db8::/32'] }), roles: anyJump, access: 'jump', port: 22, sourceIp: '2001:db8::1', expect: 'allow' },
  { name: 'IPv6 outside', user: user({ sourceCidrs: ['2001:db8::/32'] }), roles: anyJump, access: 'jump', port: 22, sourceIp: '2001:db9::1', expect: 'deny: alice may not connect from 2001:db9::1' },
  { name: 'a single address', user: user({ sourceCidrs: ['192.0.2.10'] }), roles: anyJump, access: 'jump', port: 22, sourceIp: '192.0.2.11', expect: 'deny: alice may not connect from 192.0.2.11' },
  { name: 'IPv4 client, IPv6-only list', user: user({ sourceCidrs: ['2001:db8::/32'] }), roles: anyJump, access: 'jump', port: 22, sourceIp: '10.0.0.1', expect: 'deny: alice may not connect from 10.0.0.1' },
  { name: 'no list: any address', roles: anyJump, access: 'jump', port: 22, sourceIp: '198.51.100.1', expect: 'allow' },
  { name: 'the user check comes before any rule', user: user({ sourceCidrs: ['203.0.113.0/24'] }), roles: [], access: 'jump', port: 22, sourceIp: '198.51.100.1', expect: 'deny: alice may not connect from 198.51.100.1' },
]);

const fromVpn = (cidrs: string[]) => [role('dba', { targets: ['db1'], access: ['jump'], sourceCidrs: cidrs })];
table('rule source addresses', [
  { name: 'IPv4 inside', roles: fromVpn(['10.8.0.0/16']), access: 'jump', port: 22, sourceIp: '10.8.1.2', expect: 'allow' },
  { name: 'IPv4 outside', roles: fromVpn(['10.8.0.0/16']), access: 'jump', port: 22, sourceIp: '10.9.0.1', expect: 'deny: no rule grants access from 10.9.0.1' },
  { name: 'IPv4-mapped IPv6 inside', roles: fromVpn(['10.8.0.0/16']), access: 'jump', port: 22, sourceIp: '::ffff:10.8.0.1', expect: 'allow' },
  { name: 'IPv6 inside', roles: fromVpn(['fd00::/8']), access: 'jump', port: 22, sourceIp: 'fd12:3456::1', expect: 'allow' },
  { name: 'IPv6 outside', roles: fromVpn(['fd00::/8']), access: 'jump', port: 22, sourceIp: '2001:db8::1', expect: 'deny: no rule grants access from 2001:db8::1' },
  { name: 'no source given (listing what a user may reach)', roles: fromVpn(['10.8.0.0/16']), access: 'jump', port: 22, expect: 'allow' },
]);

table('second factor', [
  { name: 'mfa rule, factor not verified', roles: [role('dba', { ...jumpDb1, mfa: true })], access: 'jump', port: 22, mfaVerified: false, expect: 'need' },
  { name: 'mfa rule, factor verified', roles: [role('dba', { ...jumpDb1, mfa: true })], access: 'jump', port: 22, mfaVerified: true, expect: 'allow' },
  { name: 'an mfa rule and a plain rule: the plain one allows', roles: [role('dba', { ...jumpDb1, mfa: true }, jumpDb1)], access: 'jump', port: 22, mfaVerified: false, expect: 'allow' },
  { name: 'an mfa rule that does not grant the port is a denial, not a prompt', roles: [role('dba', { ...jumpDb1, mfa: true })], access: 'jump', port: 5432, mfaVerified: false, expect: 'deny: no rule grants port 5432' },
  { name: 'an mfa rule from the wrong source is a denial', roles: [role('dba', { ...jumpDb1, mfa: true, sourceCidrs: ['10.8.0.0/16'] })], access: 'jump', port: 22, sourceIp: '10.9.0.1', expect: 'deny: no rule grants access from 10.9.0.1' },
]);

table('the denial names the most specific failing check', [
  {
    name: 'port beats target (port rule second)',
    roles: [role('dba', { targets: ['db2'], access: ['jump'] }, jumpDb1)], access: 'jump', port: 5432, expect: 'deny: no rule grants port 5432',
  },
  {
    name: 'port beats target (port rule first)',
    roles: [role('dba', jumpDb1, { targets: ['db2'], access: ['jump'] })], access: 'jump', port: 5432, expect: 'deny: no rule grants port 5432',
  },
  {
    name: 'access beats target',
    roles: [role('dba', { targets: ['db2'], access: ['forward'] }, { targets: ['db1'], access: ['jump'] })], access: 'forward', port: 5432, expect: 'deny: no rule grants forward access to db1',
  },
  {
    name: 'port beats access',
    roles: [role('dba', { targets: ['db1'], access: ['session'] }, { targets: ['db1'], access: ['forward'], ports: [80] })], access: 'forward', port: 5432, expect: 'deny: no rule grants port 5432',
  },
  {
    name: 'login beats access, across roles',
    target: target({ login: 'app' }),
    roles: [role('ops', { targets: ['db1'], access: ['jump'] }), role('dba', { targets: ['db1'], access: ['session'] })], access: 'session', login: 'root', expect: 'deny: no rule grants login root',
  },
  {
    name: 'source beats port',
    roles: [role('dba', { targets: ['db1'], access: ['jump'], ports: [5432], sourceCidrs: ['10.8.0.0/16'] }, jumpDb1)], access: 'jump', port: 5432, sourceIp: '10.9.0.1',
    expect: 'deny: no rule grants access from 10.9.0.1',
  },
]);

describe('the grant', () => {
  test('names the role and the rule that allowed', () => {
    const decision = run({
      roles: [role('ops', { targets: ['db2'], access: ['jump'] }), role('dba', { targets: ['db9'], access: ['jump'] }, { targets: ['db1'], access: ['jump'], record: true })],
      access: 'jump', port: 22,
    });
    assert.ok(decision.outcome === 'allow', summary(decision));
    assert.equal(decision.grant.role, 'dba');
    assert.equal(decision.grant.index, 1);
    assert.equal(decision.grant.rule.record, true);
    assert.equal(describeGrant(decision.grant), 'role dba, rule 2');
  });

  test('a need names the rule that asks for the factor', () => {
    const decision = run({ roles: [role('dba', { ...jumpDb1, mfa: true })], access: 'jump', port: 22 });
    assert.ok(decision.outcome === 'need');
    assert.equal(decision.factor, 'totp');
    assert.equal(decision.grant.role, 'dba');
    assert.equal(decision.grant.index, 0);
  });
});
