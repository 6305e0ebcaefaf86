import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { resolveDestination, type Resolution } from './resolve-destination.js';
import { describeRoute, sameWay, viaNames } from './route.js';
import { TargetSchema, type Target } from '../domain/resources.js';

function target(fields: Record<string, unknown>): Target {
  return TargetSchema.parse({ kind: 'Target', ...fields });
}

const TARGETS: Target[] = [
  target({ name: 'db1', host: '10.0.2.5', port: 2200, alternateHosts: ['DB1-B.internal'] }),
  target({ name: 'web1', host: 'Web1.Internal' }),
  // A name that is also another target's host: the name wins.
  target({ name: '10.0.2.5', host: '10.0.9.9' }),
  target({ name: 'local-admin', host: '127.0.0.1', port: 8443 }),
  // Three targets on one host: two SSH ports, one reached through a hop.
  target({ name: 'app-b', host: '10.0.3.7', port: 2222, via: 'edge' }),
  target({ name: 'app-a', host: '10.0.3.7' }),
  target({ name: 'edge', host: '10.0.1.1', login: 'hop', credential: 'hop-key' }),
  target({ name: 'v6', host: '2001:db8::10' }),
  target({ name: 'orphan', host: '10.0.4.4', via: 'gone' }),
];
const OWN = new Set(['192.0.2.1', '2001:db8::5']);

function resolve(host: string, port = 22, own: ReadonlySet<string> = OWN): Resolution {
  return resolveDestination(host, port, TARGETS, own);
}

/** `name:port access by name|host` per route, or `unknown` / `special`: what decides where the gateway dials. */
function summary(resolution: Resolution): string {
  if (!resolution.found) return resolution.reason;
  return resolution.routes.map((r) => `${r.target.name}:${r.port} ${r.access} by ${r.resolvedBy}`).join(' | ');
}

const cases: Array<[host: string, port: number, expected: string]> = [
  // By name, 22 is the target's SSH port; any other port is dialed as asked.
  ['db1', 22, 'db1:2200 jump by name'],
  ['db1', 2200, 'db1:2200 jump by name'],
  ['db1', 5432, 'db1:5432 forward by name'],
  ['DB1', 22, 'db1:2200 jump by name'],
  ['10.0.2.5', 22, '10.0.2.5:22 jump by name'],
  ['10.0.2.5', 2200, '10.0.2.5:2200 forward by name'],
  // By host or address, the port is never remapped: port 22 of db1's host is not its sshd.
  ['db1-b.internal', 22, 'db1:22 forward by host'],
  ['db1-b.internal', 2200, 'db1:2200 jump by host'],
  ['web1.internal', 22, 'web1:22 jump by host'],
  ['WEB1.INTERNAL', 443, 'web1:443 forward by host'],
  ['10.0.9.9', 22, '10.0.2.5:22 jump by host'],
  ['127.0.0.1', 8443, 'local-admin:8443 jump by host'],
  ['127.0.0.1', 22, 'local-admin:22 forward by host'],
  // Every target on a shared host, by name order, each with its own access kind.
  ['10.0.3.7', 22, 'app-a:22 jump by host | app-b:22 forward by host'],
  ['10.0.3.7', 2222, 'app-a:2222 forward by host | app-b:2222 jump by host'],
  // An address matches in any spelling of it, and nothing that only looks like one.
  ['2001:DB8:0::10', 22, 'v6:22 jump by host'],
  ['[2001:db8::10]', 22, 'v6:22 jump by host'],
  ['010.0.3.7', 22, 'unknown'],
  ['db9', 22, 'unknown'],
  ['10.0.2.6', 22, 'unknown'],
  ['127.0.0.9', 22, 'special'],
  ['::1', 22, 'special'],
  ['[::1]', 22, 'special'],
  ['::ffff:127.0.0.1', 8443, 'local-admin:8443 jump by host'],
  ['::ffff:127.0.0.2', 22, 'special'],
  ['localhost', 22, 'special'],
  ['LocalHost', 22, 'special'],
  ['db.localhost', 22, 'special'],
  ['169.254.169.254', 80, 'special'],
  ['fe80::1', 22, 'special'],
  ['0.0.0.0', 22, 'special'],
  ['192.0.2.1', 22, 'special'],
  ['::ffff:192.0.2.1', 22, 'special'],
  ['2001:0db8:0:0::5', 22, 'special'],
  ['192.0.2.2', 22, 'unknown'],
];

describe('resolveDestination', () => {
  for (const [host, port, expected] of cases) {
    test(`${host} port ${port} -> ${expected}`, () => assert.equal(summary(resolve(host, port)), expected));
  }

  test('a special address says why', () => {
    const result = resolve('169.254.169.254', 80);
    assert.ok(!result.found && result.reason === 'special');
    assert.match(result.why, /link-local/);
    const own = resolve('192.0.2.1');
    assert.ok(!own.found && own.reason === 'special');
    assert.match(own.why, /own/);
  });

  test('an address is the gateway\'s own only when listed', () => {
    assert.equal(summary(resolve('192.0.2.1', 22, new Set())), 'unknown');
  });

  test('a route carries its chain of hops', () => {
    const shared = resolve('10.0.3.7', 2222);
    assert.ok(shared.found);
    assert.deepEqual(shared.routes.map(viaNames), [[], ['edge']]);
    assert.equal(describeRoute(shared.routes[1]), 'target app-b (by host), port 2222, access jump, via edge');
    assert.equal(describeRoute(shared.routes[0]), 'target app-a (by host), port 2222, access forward, dialed directly');
  });

  test('a chain that cannot be followed is part of the route, to be refused when dialed', () => {
    const broken = resolve('orphan');
    assert.ok(broken.found);
    const [route] = broken.routes;
    assert.ok(!route.chain.ok);
    assert.equal(route.chain.problem, 'via gone names no target');
  });

  test('routes are the same way only with the same addresses, port, access kind and hops', () => {
    const twin = target({ name: 'app-a-twin', host: '10.0.3.7', labels: { team: 'other' } });
    const routes = resolveDestination('10.0.3.7', 22, [...TARGETS, twin], OWN);
    assert.ok(routes.found);
    const [a, twinRoute, b] = routes.routes;
    assert.equal(twinRoute.target.name, 'app-a-twin');
    assert.equal(sameWay(a, twinRoute), true);
    assert.equal(sameWay(a, b), false, 'another access kind and a hop');
    const alternate = target({ name: 'app-c', host: '10.0.3.7', alternateHosts: ['10.0.3.8'] });
    const withAlternate = resolveDestination('10.0.3.7', 22, [alternate, TARGETS[5]], OWN);
    assert.ok(withAlternate.found);
    assert.equal(sameWay(withAlternate.routes[0], withAlternate.routes[1]), false, 'other alternate hosts');
  });
});
