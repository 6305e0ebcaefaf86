import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HEADROOM_BYTES, headroomPercent } from './heap-headroom.js';

const MiB = 1024 * 1024;

test('a small heap grows far enough that the limit sits the headroom above it', () => {
  for (const live of [20 * MiB, 64 * MiB, 100 * MiB, 200 * MiB]) {
    const percent = headroomPercent(live);
    assert.ok(live * (percent / 100) >= HEADROOM_BYTES, `${live / MiB} MiB live grows by ${percent} %`);
  }
  assert.equal(headroomPercent(20 * MiB), 320);
});

test('a tiny heap is capped, and a large one is left to V8 (0)', () => {
  assert.equal(headroomPercent(1 * MiB), 400);
  assert.equal(headroomPercent(0), 400);
  assert.equal(headroomPercent(256 * MiB), 0);
  assert.equal(headroomPercent(2048 * MiB), 0);
  assert.equal(headroomPercent(Number.NaN), 0);
});
