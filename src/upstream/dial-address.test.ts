import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { dialAddressFor, type Lookup } from './dial-address.js';
import { dialTcp, DialError } from './dial-tcp.js';

const OWN = new Set(['192.0.2.1', '2001:db8::5']);

/** A resolver that answers from a table and counts its calls. */
function fakeLookup(answers: Record<string, string[][]>): Lookup & { calls: number } {
  const asked = new Map<string, number>();
  const lookup = Object.assign(async (host: string) => {
    lookup.calls += 1;
    const n = asked.get(host) ?? 0;
    asked.set(host, n + 1);
    const replies = answers[host];
    if (!replies) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return replies[Math.min(n, replies.length - 1)];
  }, { calls: 0 });
  return lookup;
}

const DNS = {
  'db.example': [['203.0.113.5', '203.0.113.6']],
  'evil.test': [['127.0.0.1']],
  'meta.test': [['169.254.169.254']],
  'own.test': [['192.0.2.1']],
  'own6.test': [['2001:0db8::5']],
  'mixed.test': [['203.0.113.5', '127.0.0.1']],
  'mapped.test': [['::ffff:127.0.0.1']],
  'zero.test': [['0.0.0.0']],
  'v6-loop.test': [['::1']],
  'db.localhost': [['127.0.0.1']],
  localhost: [['127.0.0.1', '::1']],
  'rebind.test': [['203.0.113.7'], ['127.0.0.1']],
  'empty.test': [[]],
};

const cases: Array<[host: string, expected: string]> = [
  // Named literally by the target: the operator's choice, dialed as written.
  ['127.0.0.1', 'dial 127.0.0.1'],
  ['::1', 'dial ::1'],
  ['[::1]', 'dial ::1'],
  ['169.254.169.254', 'dial 169.254.169.254'],
  ['192.0.2.1', 'dial 192.0.2.1'],
  // Names: every answer is checked, the first is dialed.
  ['db.example', 'dial 203.0.113.5'],
  ['localhost', 'dial 127.0.0.1'],
  ['evil.test', 'refuse: resolves to 127.0.0.1 (loopback addresses are refused unless a target names them)'],
  ['v6-loop.test', 'refuse: resolves to ::1 (loopback addresses are refused unless a target names them)'],
  ['mapped.test', 'refuse: resolves to ::ffff:127.0.0.1 (loopback addresses are refused unless a target names them)'],
  ['meta.test', 'refuse: resolves to 169.254.169.254 (link-local addresses are refused unless a target names them)'],
  ['own.test', 'refuse: resolves to 192.0.2.1 (the gateway\'s own addresses are refused unless a target names them)'],
  ['own6.test', 'refuse: resolves to 2001:0db8::5 (the gateway\'s own addresses are refused unless a target names them)'],
  ['zero.test', 'refuse: resolves to 0.0.0.0 (the unspecified address is refused)'],
  ['mixed.test', 'refuse: resolves to 127.0.0.1 (loopback addresses are refused unless a target names them)'],
  // Only `localhost` itself may be loopback.
  ['db.localhost', 'refuse: resolves to 127.0.0.1 (loopback addresses are refused unless a target names them)'],
  ['empty.test', 'refuse: name not found'],
];

describe('the address the gateway dials for a target host', () => {
  for (const [host, expected] of cases) {
    test(`${host} -> ${expected}`, async () => {
      const checked = await dialAddressFor(host, OWN, fakeLookup(DNS));
      assert.equal(checked.ok ? `dial ${checked.address}` : `refuse: ${checked.why}`, expected);
    });
  }

  test('a name is looked up once, and the answer checked is the one returned', async () => {
    const lookup = fakeLookup(DNS);
    const first = await dialAddressFor('rebind.test', OWN, lookup);
    assert.deepEqual(first, { ok: true, address: '203.0.113.7' });
    assert.equal(lookup.calls, 1);
  });

  test('an address literal is not looked up at all', async () => {
    const lookup = fakeLookup(DNS);
    await dialAddressFor('10.0.0.1', OWN, lookup);
    assert.equal(lookup.calls, 0);
  });
});

describe('dialTcp', () => {
  // Listens on 127.0.0.5 only: a dial that looked the name up again (the system says
  // localhost is 127.0.0.1) would find nothing there.
  const accepted: net.Socket[] = [];
  const server = net.createServer((s) => { accepted.push(s); s.on('error', () => {}); });
  const listening = new Promise<number>((resolve) => server.listen({ host: '127.0.0.5', port: 0 }, () => resolve((server.address() as net.AddressInfo).port)));
  after(() => { for (const s of accepted) s.destroy(); server.close(); });

  test('dials the address it checked, not the name again', { timeout: 10_000 }, async () => {
    const port = await listening;
    const lookup = fakeLookup({ localhost: [['127.0.0.5'], ['127.0.0.1']] });
    const socket = await dialTcp('localhost', port, 5_000, { ownAddresses: OWN, lookup });
    assert.equal(socket.remoteAddress, '127.0.0.5');
    assert.equal(lookup.calls, 1);
    socket.destroy();
  });

  test('a refused name fails like any dial, naming host:port as the target writes it, and connects nowhere', { timeout: 10_000 }, async () => {
    const port = await listening;
    const before = accepted.length;
    const lookup = fakeLookup({ 'sneaky.test': [['127.0.0.5']] });
    await assert.rejects(dialTcp('sneaky.test', port, 5_000, { ownAddresses: OWN, lookup }), (error: unknown) => {
      assert.ok(error instanceof DialError);
      assert.equal(error.message, `sneaky.test:${port} resolves to 127.0.0.5 (loopback addresses are refused unless a target names them)`);
      return true;
    });
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(accepted.length, before);
  });

  test('a port no socket can dial is a dial failure, not a throw', { timeout: 10_000 }, async () => {
    await assert.rejects(dialTcp('127.0.0.5', 70_000, 5_000, { ownAddresses: OWN }), DialError);
  });

  test('a name that does not resolve says so', { timeout: 10_000 }, async () => {
    await assert.rejects(dialTcp('nowhere.test', 22, 5_000, { ownAddresses: OWN, lookup: fakeLookup({}) }), /nowhere\.test:22 name not found/);
  });
});
