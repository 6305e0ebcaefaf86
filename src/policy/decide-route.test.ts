/**
 * Resolution and decision together, as a `direct-tcpip` request meets them: the request
 * (host, port) is resolved to routes in an inventory, and the user's grants pick one.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { decideRoute, type RouteDecision } from './decide-route.js';
import { resolveDestination } from '../inventory/resolve-destination.js';
import { RoleSchema, TargetSchema, UserSchema, type Role, type Target } from '../domain/resources.js';

function target(fields: Record<string, unknown>): Target {
  return TargetSchema.parse({ kind: 'Target', ...fields });
}

const INVENTORY: Target[] = [
  // db1's sshd listens on 2200; something else listens on port 22 of its host.
  target({ name: 'db1', host: '10.0.2.5', port: 2200 }),
  // Three targets share 10.0.3.7: two reached directly the same way, one through a hop.
  target({ name: 'app-a', host: '10.0.3.7', labels: { team: 'a' } }),
  target({ name: 'app-twin', host: '10.0.3.7', labels: { team: 'twin' } }),
  target({ name: 'app-hop', host: '10.0.3.7', via: 'edge', labels: { team: 'hop' } }),
  target({ name: 'edge', host: '10.0.1.1', login: 'hop', credential: 'hop-key' }),
];

function role(...rules: Record<string, unknown>[]): Role {
  return RoleSchema.parse({ kind: 'Role', name: 'r', allow: rules });
}

/** What a user sees: `allow name:port access`, `need name`, `ambiguous a,b` or `deny: reason`. */
function summary(decision: RouteDecision): string {
  switch (decision.outcome) {
    case 'allow': return `allow ${decision.route.target.name}:${decision.route.port} ${decision.route.access}`;
    case 'need': return `need ${decision.route.target.name}`;
    case 'ambiguous': return `ambiguous ${decision.routes.map((r) => r.target.name).join(',')}`;
    case 'deny': return `deny: ${decision.reason}`;
  }
}

function judge(host: string, port: number, roles: Role[], inventory = INVENTORY, mfaVerified = false): string {
  const resolution = resolveDestination(host, port, inventory, new Set());
  assert.ok(resolution.found, `${host} resolves`);
  const user = UserSchema.parse({ kind: 'User', name: 'alice', roles: ['r'] });
  return summary(decideRoute({ user, roles, mfaVerified }, resolution.routes));
}

const jumpTo = (...targets: string[]) => role({ targets, access: ['jump'] });

interface Case { name: string; host: string; port: number; roles: Role[]; inventory?: Target[]; mfaVerified?: boolean; expect: string }

const cases: Case[] = [
  // Port 22 is no alias: a rule without ports grants db1's sshd on 2200, nothing on 22.
  { name: 'by name, 22 is the SSH port', host: 'db1', port: 22, roles: [jumpTo('db1')], expect: 'allow db1:2200 jump' },
  { name: 'by address, the SSH port', host: '10.0.2.5', port: 2200, roles: [jumpTo('db1')], expect: 'allow db1:2200 jump' },
  { name: 'by address, port 22 is a forward, which the rule does not grant', host: '10.0.2.5', port: 22, roles: [jumpTo('db1')], expect: 'deny: no rule grants forward access to db1' },
  { name: 'by address, port 22 with jump and forward but no ports', host: '10.0.2.5', port: 22, roles: [role({ targets: ['db1'], access: ['jump', 'forward'] })], expect: 'deny: no rule grants port 22' },
  // ports: [22] means the SSH port, so by name and by address agree.
  { name: 'ports [22] by name', host: 'db1', port: 22, roles: [role({ targets: ['db1'], access: ['jump'], ports: [22] })], expect: 'allow db1:2200 jump' },
  { name: 'ports [22] by address and SSH port', host: '10.0.2.5', port: 2200, roles: [role({ targets: ['db1'], access: ['jump'], ports: [22] })], expect: 'allow db1:2200 jump' },
  { name: 'ports [22] never reaches port 22 of the host', host: '10.0.2.5', port: 22, roles: [role({ targets: ['db1'], access: ['jump', 'forward'], ports: [22] })], expect: 'deny: no rule grants port 22' },
  { name: 'by name, a forward', host: 'db1', port: 5432, roles: [role({ targets: ['db1'], access: ['forward'], ports: [5432] })], expect: 'allow db1:5432 forward' },
  // Shared hosts: only what the user is granted counts.
  { name: 'granted one of three sharing a host', host: '10.0.3.7', port: 22, roles: [jumpTo('app-hop')], expect: 'allow app-hop:22 jump' },
  { name: 'granted another one of them', host: '10.0.3.7', port: 22, roles: [jumpTo('app-a')], expect: 'allow app-a:22 jump' },
  { name: 'granted two reached the same way: the first by name', host: '10.0.3.7', port: 22, roles: [role({ labels: { team: 'twin' }, access: ['jump'] }, { labels: { team: 'a' }, access: ['jump'] })], expect: 'allow app-a:22 jump' },
  { name: 'granted two reached differently: ambiguous', host: '10.0.3.7', port: 22, roles: [jumpTo('app-a', 'app-hop')], expect: 'ambiguous app-a,app-hop' },
  { name: 'granted every one: ambiguous, each way named once', host: '10.0.3.7', port: 22, roles: [jumpTo('*')], expect: 'ambiguous app-a,app-hop' },
  { name: 'granted none: the reason they share', host: '10.0.3.7', port: 22, roles: [role({ targets: ['app-a', 'app-twin', 'app-hop'], access: ['jump', 'forward'], ports: [2222] })], expect: 'deny: no rule grants port 22' },
  { name: 'granted none: each reason, named', host: '10.0.3.7', port: 22, roles: [role({ targets: ['app-a'], access: ['jump'], ports: [2222] })], expect: 'deny: app-a: no rule grants port 22; no rule grants app-hop; no rule grants app-twin' },
  { name: 'granted none: each reason', host: '10.0.3.7', port: 22, roles: [jumpTo('db1')], expect: 'deny: no rule grants app-a; no rule grants app-hop; no rule grants app-twin' },
  // A second factor: a plain grant wins; otherwise the rule that needs the factor.
  { name: 'a plain grant beside one needing TOTP', host: '10.0.3.7', port: 22, roles: [role({ targets: ['app-hop'], access: ['jump'], mfa: true }, { targets: ['app-a'], access: ['jump'] })], expect: 'allow app-a:22 jump' },
  { name: 'only a grant needing TOTP', host: '10.0.3.7', port: 22, roles: [role({ targets: ['app-hop'], access: ['jump'], mfa: true })], expect: 'need app-hop' },
  { name: 'with the factor it allows', host: '10.0.3.7', port: 22, mfaVerified: true, roles: [role({ targets: ['app-hop'], access: ['jump'], mfa: true })], expect: 'allow app-hop:22 jump' },
];

describe('resolution and decision of a direct-tcpip request', () => {
  for (const c of cases) {
    test(c.name, () => assert.equal(judge(c.host, c.port, c.roles, c.inventory, c.mfaVerified), c.expect));
  }

  test('a target added to the inventory changes nobody else\'s decision', () => {
    const roles = [jumpTo('app-hop')];
    const before = judge('10.0.3.7', 22, roles);
    for (const name of ['aaa', 'app-0', 'zzz']) {
      const added = [...INVENTORY, target({ name, host: '10.0.3.7', port: 22 })];
      assert.equal(judge('10.0.3.7', 22, roles, added), before, `after adding ${name}`);
    }
  });
});
