import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { BanGuard, userBanKey } from './ban-guard.js';
import type { GatewayDeps } from './gateway-deps.js';
import type { Ban } from '../store/store.js';

const MINUTE = 60_000;

/** A BanGuard over an in-memory ban list, its clock in the test's hands. */
function guard(maxTracked = 1_000) {
  const bans = new Map<string, Ban>();
  const events: Array<Record<string, unknown>> = [];
  let clock = Date.parse('2026-01-01T00:00:00Z');
  const deps = {
    settings: { bans: { maxAuthFailures: 5, findWindow: '10m', banDuration: '30m', neverBan: ['10.9.0.0/16'] } },
    stores: {
      bans: {
        active: async (address: string, now: Date) => { const ban = bans.get(address); return ban && Date.parse(ban.until) > now.getTime() ? ban : null; },
        add: async (ban: Ban) => { bans.set(ban.address, ban); },
      },
    },
    audit: { record: async (event: Record<string, unknown>) => { events.push(event); } },
    logger: { debug() {}, info() {}, warn() {}, error() {} },
  } as unknown as Pick<GatewayDeps, 'stores' | 'audit' | 'settings' | 'logger'>;
  const banGuard = new BanGuard(deps, { maxTracked, now: () => clock });
  return { banGuard, bans, events, advance: (ms: number) => { clock += ms; } };
}

describe('BanGuard', () => {
  test('five failures within the window ban the address, and the user for knowledge factors', async () => {
    const { banGuard, bans } = guard();
    for (let i = 1; i <= 4; i += 1) assert.equal(await banGuard.failure('192.0.2.1', 'alice', '192.0.2.1:5000'), false, `failure ${i}`);
    assert.equal(await banGuard.failure('192.0.2.1', 'alice', '192.0.2.1:5000'), true);
    assert.deepEqual([...bans.keys()].sort(), ['192.0.2.1', userBanKey('alice')]);
    assert.equal(banGuard.tracked, 0, 'a banned key is still followed');
  });

  test('a failure without a user counts toward the address only', async () => {
    const { banGuard, bans } = guard();
    for (let i = 1; i <= 5; i += 1) await banGuard.failure('192.0.2.2', null, '192.0.2.2:5000');
    assert.deepEqual([...bans.keys()], ['192.0.2.2']);
  });

  test('failures below the threshold are forgotten once the window has passed', async () => {
    const { banGuard, bans, advance } = guard();
    for (let n = 0; n < 300; n += 1) await banGuard.failure(`198.51.100.${n % 250}`, `guess${n}`, 'x');
    assert.ok(banGuard.tracked > 0);
    advance(10 * MINUTE);
    await banGuard.failure('203.0.113.9', null, 'x');
    assert.equal(banGuard.tracked, 1, 'addresses and users below the threshold were kept past the window');
    // And they start from zero: four more failures of an old address do not ban it.
    for (let i = 0; i < 4; i += 1) await banGuard.failure('198.51.100.1', null, 'x');
    assert.equal(bans.size, 0);
  });

  test('failures spread over more than the window never ban', async () => {
    const { banGuard, bans, advance } = guard();
    for (let i = 0; i < 20; i += 1) {
      await banGuard.failure('192.0.2.3', null, 'x');
      advance(3 * MINUTE);
    }
    assert.equal(bans.size, 0);
  });

  test('follows at most maxTracked addresses and users, however many strangers fail', async () => {
    const { banGuard } = guard(100);
    for (let n = 0; n < 5_000; n += 1) {
      await banGuard.failure(`2001:db8::${n.toString(16)}`, `user${n}`, 'x');
      assert.ok(banGuard.tracked <= 100, `${banGuard.tracked} keys followed`);
    }
    assert.equal(banGuard.tracked, 100);
  });

  test('neverBan addresses are not banned, and not followed', async () => {
    const { banGuard, bans } = guard();
    for (let i = 0; i < 10; i += 1) await banGuard.failure('10.9.1.1', null, 'x');
    assert.equal(bans.size, 0);
    assert.equal(banGuard.tracked, 0);
  });
});
