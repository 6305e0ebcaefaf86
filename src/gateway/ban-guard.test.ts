import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { BanGuard, userBanKey } from './ban-guard.js';
import type { GatewayDeps } from './gateway-deps.js';
import type { Ban } from '../store/store.js';

const MINUTE = 60_000;

/**
 * BanGuards over one in-memory store (bans and failure counts, as the store contract has
 * them), the clock in the test's hands; each guard stands for a node or a worker.
 */
function store() {
  const bans = new Map<string, Ban>();
  const failures = new Map<string, string[]>();
  const events: Array<Record<string, unknown>> = [];
  let clock = Date.parse('2026-01-01T00:00:00Z');
  const deps = {
    settings: { bans: { maxAuthFailures: 5, findWindow: '10m', banDuration: '30m', neverBan: ['10.9.0.0/16'] } },
    stores: {
      bans: {
        active: async (address: string, now: Date) => { const ban = bans.get(address); return ban && Date.parse(ban.until) > now.getTime() ? ban : null; },
        add: async (ban: Ban) => { bans.set(ban.address, ban); },
        recordFailure: async (key: string, at: string, windowStart: string, threshold: number) => {
          for (const [k, times] of failures) {
            const kept = times.filter((t) => t > windowStart);
            if (kept.length === 0) failures.delete(k);
            else failures.set(k, kept);
          }
          const times = [...(failures.get(key) ?? []), at];
          if (times.length < threshold) {
            failures.set(key, times);
            return false;
          }
          failures.delete(key);
          return true;
        },
      },
    },
    audit: { record: async (event: Record<string, unknown>) => { events.push(event); } },
    logger: { debug() {}, info() {}, warn() {}, error() {} },
  } as unknown as Pick<GatewayDeps, 'stores' | 'audit' | 'settings' | 'logger'>;
  const guard = () => new BanGuard(deps, { now: () => clock });
  return { guard, bans, failures, events, advance: (ms: number) => { clock += ms; } };
}

describe('BanGuard', () => {
  test('five failures within the window ban the address, and the user for knowledge factors', async () => {
    const { guard, bans, events } = store();
    const banGuard = guard();
    for (let i = 1; i <= 4; i += 1) assert.equal(await banGuard.failure('192.0.2.1', 'alice', '192.0.2.1:5000'), false, `failure ${i}`);
    assert.equal(await banGuard.failure('192.0.2.1', 'alice', '192.0.2.1:5000'), true);
    assert.deepEqual([...bans.keys()].sort(), ['192.0.2.1', userBanKey('alice')]);
    assert.deepEqual(events.map((e) => [e.type, e.address]).sort(), [['ban.add', '192.0.2.1'], ['ban.add', 'user:alice']]);
  });

  test('failures through several nodes count toward one threshold', async () => {
    const { guard, bans } = store();
    const [nodeA, nodeB] = [guard(), guard()];
    for (const node of [nodeA, nodeB, nodeA, nodeB]) assert.equal(await node.failure('192.0.2.4', null, 'x'), false);
    assert.equal(await nodeB.failure('192.0.2.4', null, 'x'), true, 'the fifth, whichever node saw it');
    assert.deepEqual([...bans.keys()], ['192.0.2.4']);
  });

  test('a failure without a user counts toward the address only', async () => {
    const { guard, bans } = store();
    const banGuard = guard();
    for (let i = 1; i <= 5; i += 1) await banGuard.failure('192.0.2.2', null, '192.0.2.2:5000');
    assert.deepEqual([...bans.keys()], ['192.0.2.2']);
  });

  test('failures below the threshold are forgotten once the window has passed', async () => {
    const { guard, bans, failures, advance } = store();
    const banGuard = guard();
    for (let n = 0; n < 300; n += 1) await banGuard.failure(`198.51.100.${n % 250}`, `guess${n}`, 'x');
    assert.ok(failures.size > 0);
    advance(10 * MINUTE);
    await banGuard.failure('203.0.113.9', null, 'x');
    assert.deepEqual([...failures.keys()], ['203.0.113.9'], 'failures of the last window only are kept');
    // And they start from zero: four more failures of an old address do not ban it.
    for (let i = 0; i < 4; i += 1) await banGuard.failure('198.51.100.1', null, 'x');
    assert.equal(bans.size, 0);
  });

  test('failures spread over more than the window never ban', async () => {
    const { guard, bans, advance } = store();
    const banGuard = guard();
    for (let i = 0; i < 20; i += 1) {
      await banGuard.failure('192.0.2.3', null, 'x');
      advance(3 * MINUTE);
    }
    assert.equal(bans.size, 0);
  });

  test('neverBan addresses are not banned, and not counted', async () => {
    const { guard, bans, failures } = store();
    const banGuard = guard();
    for (let i = 0; i < 10; i += 1) await banGuard.failure('10.9.1.1', null, 'x');
    assert.equal(bans.size, 0);
    assert.equal(failures.size, 0);
  });
});
