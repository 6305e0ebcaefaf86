import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DescriptorReserve } from './descriptor-reserve.js';

function reserveWith(limit: number, counts: number[]) {
  const lines: string[] = [];
  let now = 0;
  const reserve = new DescriptorReserve(limit, { warn: (l) => lines.push(`warn ${l}`), info: (l) => lines.push(`info ${l}`) }, () => counts.shift() ?? null, () => now);
  return { reserve, lines, advance: (ms: number) => { now += ms; } };
}

test('the reserve is a tenth of the limit, at least 32', () => {
  assert.equal(reserveWith(160, []).reserve.reserve, 32);
  assert.equal(reserveWith(1024, []).reserve.reserve, 103);
  assert.equal(reserveWith(65536, []).reserve.reserve, 6554);
});

test('new connections are refused from limit - reserve on, and welcome again below it; each change logged once', () => {
  const { reserve, lines, advance } = reserveWith(160, [100, 127, 128, 140, 127]);
  assert.equal(reserve.exhausted(), false); // 100 counted
  advance(1_000);
  assert.equal(reserve.exhausted(), false); // 127: one below the threshold of 128
  assert.equal(reserve.exhausted(), true); // near the threshold every connection is counted: 128
  assert.equal(reserve.exhausted(), true); // 140
  assert.equal(reserve.exhausted(), false); // 127
  assert.deepEqual(lines, [
    'warn open files running short (128 of 160 in use): new connections are refused while fewer than 32 are free',
    'info open files available again (127 of 160 in use): new connections are accepted',
  ]);
});

test('far from the threshold a recent count is kept and grown by one per connection', () => {
  let listings = 0;
  const reserve = new DescriptorReserve(1024, { warn: () => {}, info: () => {} }, () => { listings += 1; return 40; }, () => 0);
  for (let i = 0; i < 100; i++) assert.equal(reserve.exhausted(), false);
  assert.equal(listings, 1);
});

test('without /proc nothing is refused', () => {
  const { reserve } = reserveWith(160, []);
  assert.equal(reserve.exhausted(), false);
});
