import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decideRdp, type RdpRequest } from './rdp-access.js';
import { RoleSchema, TargetSchema, UserSchema, type Role, type Target, type User } from '../domain/resources.js';
import type { ResourceStore } from '../store/store.js';

function store<T extends { name: string }>(items: T[]): ResourceStore<T> {
  return { get: async (name) => items.find((item) => item.name === name) ?? null, list: async () => items };
}

const users: User[] = [
  UserSchema.parse({ kind: 'User', name: 'alice', roles: ['rdp'] }),
  UserSchema.parse({ kind: 'User', name: 'dave', roles: ['rdp'], disabled: true }),
  UserSchema.parse({ kind: 'User', name: 'erin', roles: ['rdp-mfa'] }),
];
const targets: Target[] = [
  TargetSchema.parse({ kind: 'Target', name: 'hop', host: '10.0.1.10' }),
  TargetSchema.parse({ kind: 'Target', name: 'win1', host: '10.0.3.7', alternateHosts: ['win1.corp'], rdpPort: 3390, via: 'hop' }),
  TargetSchema.parse({ kind: 'Target', name: 'win2', host: '10.0.3.8' }),
  TargetSchema.parse({ kind: 'Target', name: 'win3', host: '10.0.3.9' }),
];
const roles: Role[] = [
  RoleSchema.parse({ kind: 'Role', name: 'rdp', allow: [
    { targets: ['win1'], access: ['rdp'], sourceCidrs: ['10.8.0.0/16'] },
    { targets: ['win2'], access: ['rdp'], ports: [3389, 4000] },
    { targets: ['win3'], access: ['forward'], ports: [3389] },
  ] }),
  RoleSchema.parse({ kind: 'Role', name: 'rdp-mfa', allow: [{ targets: ['win2'], access: ['rdp'], mfa: true }] }),
];
const stores = { users: store(users), targets: store(targets), roles: store(roles), requests: { liveGrants: async () => [] } };
const ask = (request: Partial<RdpRequest>) =>
  decideRdp(stores, new Set(), { user: 'alice', target: 'win1', host: 'win1', port: 3389, sourceIp: '10.8.1.2', mfaVerified: true, ...request });

describe('RD Gateway channel decisions', () => {
  test('the token\'s target by name, host or alternate host, at 3389, goes to its rdpPort through its chain', async () => {
    for (const host of ['win1', '10.0.3.7', 'WIN1.corp']) {
      const decision = await ask({ host });
      assert.ok(decision.allowed, host);
      assert.equal(decision.route.port, 3390);
      assert.deepEqual(decision.route.chain.ok && decision.route.chain.hops.map((h) => h.name), ['hop']);
      assert.equal(decision.rule, 'role rdp, rule 1');
    }
  });

  const table: Array<[string, Partial<RdpRequest>, string | null]> = [
    ['another target than the token\'s', { host: 'win2' }, 'the gateway access token is for win1, not win2'],
    ['an unknown host', { host: 'nowhere.example' }, 'the gateway access token is for win1, not nowhere.example'],
    ['a port the rule does not grant', { port: 3391 }, 'no rule grants port 3391'],
    ['the rdpPort asked literally is the same service', { port: 3390 }, null],
    ['a source outside the rule', { sourceIp: '192.0.2.1' }, 'no rule grants access from 192.0.2.1'],
    ['no source (issuing from the command line)', { sourceIp: undefined }, null],
    ['listed ports: 3389 and another', { target: 'win2', host: 'win2', port: 4000 }, null],
    ['a grant of forward is not rdp', { target: 'win3', host: 'win3' }, 'no rule grants rdp access to win3'],
    ['a disabled user', { user: 'dave' }, 'dave is disabled'],
    ['a removed user', { user: 'zoe' }, 'no user named zoe'],
    ['a removed target', { target: 'win9', host: 'win9' }, 'no target named win9'],
    ['a rule with mfa, at issue without the factor', { user: 'erin', target: 'win2', host: null, mfaVerified: false }, 'role rdp-mfa, rule 1 needs a second factor (TOTP)'],
    ['a rule with mfa, with the factor', { user: 'erin', target: 'win2', host: null, mfaVerified: true }, null],
  ];
  for (const [name, request, reason] of table) {
    test(name, async () => {
      const decision = await ask(request);
      assert.deepEqual(decision.allowed ? null : decision.reason, reason);
    });
  }
});
