import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration, parseDuration, parseSize } from './duration.js';

describe('parseDuration', () => {
  const cases: Array<[string, number | null]> = [
    ['30s', 30_000], ['10m', 600_000], ['12h', 43_200_000], ['250ms', 250], ['1d', 86_400_000],
    ['1.5s', 1500], [' 5m ', 300_000], ['0s', 0],
    ['', null], ['10', null], ['s', null], ['10x', null], ['-5s', null], ['1h30m', null], ['10 s', null], ['ten s', null],
  ];
  for (const [text, expected] of cases) {
    test(JSON.stringify(text), () => assert.equal(parseDuration(text), expected));
  }
});

describe('formatDuration', () => {
  const cases: Array<[number, string]> = [[3_600_000, '1h'], [7_200_000, '2h'], [600_000, '10m'], [90_000, '90s'], [0, '0s'], [1500, '1500ms']];
  for (const [ms, expected] of cases) {
    test(`${ms} ms`, () => assert.equal(formatDuration(ms), expected));
  }

  test('round-trips through parseDuration', () => {
    for (const ms of [250, 1000, 90_000, 600_000, 43_200_000]) assert.equal(parseDuration(formatDuration(ms)), ms);
  });
});

describe('parseSize', () => {
  const cases: Array<[string, number | null]> = [
    ['100MB', 100 * 1024 * 1024], ['1KB', 1024], ['512B', 512], ['2GB', 2 * 1024 ** 3], ['5 mb', 5 * 1024 * 1024],
    ['100', null], ['MB', null], ['1.5MB', null], ['10TB', null], ['-1MB', null],
  ];
  for (const [text, expected] of cases) {
    test(JSON.stringify(text), () => assert.equal(parseSize(text), expected));
  }
});
