import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { KnockGate } from './port-knock.js';
import type { Logger } from '../log/logger.js';

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const settings = { sequence: [7000, 8000, 9000], windowMs: 10_000, openForMs: 30_000 };
const T0 = 1_000_000;

describe('KnockGate', () => {
  test('the sequence in order within the window opens the port to that address alone, for openFor', () => {
    const gate = new KnockGate(settings, quiet);
    gate.knock('192.0.2.1', 0, T0);
    gate.knock('192.0.2.1', 1, T0 + 1_000);
    assert.equal(gate.isOpen('192.0.2.1', T0 + 1_500), false);
    gate.knock('192.0.2.1', 2, T0 + 2_000);
    assert.equal(gate.isOpen('192.0.2.1', T0 + 2_000), true);
    assert.equal(gate.isOpen('192.0.2.2', T0 + 2_000), false);
    assert.equal(gate.isOpen('192.0.2.1', T0 + 32_001), false);
  });

  test('out of order, or slower than the window, opens nothing', () => {
    const gate = new KnockGate(settings, quiet);
    for (const index of [1, 0, 2]) gate.knock('192.0.2.3', index, T0);
    assert.equal(gate.isOpen('192.0.2.3', T0), false);
    gate.knock('192.0.2.4', 0, T0);
    gate.knock('192.0.2.4', 1, T0 + 5_000);
    gate.knock('192.0.2.4', 2, T0 + 10_001);
    assert.equal(gate.isOpen('192.0.2.4', T0 + 10_001), false);
  });

  test('a sequence begun is forgotten once its window has passed, an opening once it has ended', () => {
    const gate = new KnockGate(settings, quiet);
    for (let n = 0; n < 500; n += 1) gate.knock(`2001:db8:1::${n.toString(16)}`, 0, T0);
    for (const index of [0, 1, 2]) gate.knock('192.0.2.5', index, T0);
    assert.deepEqual(gate.tracked, { knocking: 500, open: 1 });
    gate.knock('203.0.113.1', 0, T0 + 10_001);
    assert.deepEqual(gate.tracked, { knocking: 1, open: 1 }, 'sequences begun were kept past the window');
    gate.knock('203.0.113.2', 0, T0 + 30_001);
    assert.equal(gate.isOpen('192.0.2.5', T0 + 30_001), false);
    assert.deepEqual(gate.tracked, { knocking: 1, open: 0 });
  });

  test('follows at most maxTracked knocking addresses, however many knock', () => {
    const gate = new KnockGate(settings, quiet, 100);
    for (let n = 0; n < 5_000; n += 1) {
      gate.knock(`2001:db8::${n.toString(16)}`, 0, T0 + n);
      assert.ok(gate.tracked.knocking <= 100);
    }
    // The most recent knocks are the ones kept: the last address can go on.
    gate.knock('2001:db8::1387', 1, T0 + 5_000);
    gate.knock('2001:db8::1387', 2, T0 + 5_001);
    assert.equal(gate.isOpen('2001:db8::1387', T0 + 5_001), true);
  });
});
