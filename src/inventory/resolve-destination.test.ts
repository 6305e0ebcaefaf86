import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { resolveDestination, type Resolution } from './resolve-destination.js';
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
];
const OWN = new Set(['192.0.2.1', '2001:db8::5']);

function resolve(host: string, port = 22, own: ReadonlySet<string> = OWN): Resolution {
  return resolveDestination(host, port, TARGETS, own);
}

/** `name:port (byName)`, `unknown` or `special`: what decides where the gateway dials. */
function summary(resolution: Resolution): string {
  if (resolution.found) return `${resolution.target.name}:${resolution.port}${resolution.byName ? ' by name' : ' by host'}`;
  return resolution.reason;
}

const cases: Array<[host: string, port: number, expected: string]> = [
  ['db1', 22, 'db1:2200 by name'],
  ['db1', 5432, 'db1:5432 by name'],
  ['10.0.2.5', 22, '10.0.2.5:22 by name'],
  ['web1.internal', 22, 'web1:22 by host'],
  ['WEB1.INTERNAL', 443, 'web1:443 by host'],
  ['db1-b.internal', 22, 'db1:22 by host'],
  ['10.0.9.9', 22, '10.0.2.5:22 by host'],
  ['db9', 22, 'unknown'],
  ['10.0.2.6', 22, 'unknown'],
  ['127.0.0.1', 8443, 'local-admin:8443 by host'],
  ['127.0.0.9', 22, 'special'],
  ['::1', 22, 'special'],
  ['[::1]', 22, 'special'],
  ['::ffff:127.0.0.1', 22, 'special'],
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
});
