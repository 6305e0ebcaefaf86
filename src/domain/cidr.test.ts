import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { addressInAny, isCidr } from './cidr.js';

describe('addressInAny', () => {
  const cases: Array<[address: string, blocks: string[], expected: boolean]> = [
    ['10.1.2.3', ['10.0.0.0/8'], true],
    ['11.0.0.1', ['10.0.0.0/8'], false],
    ['10.0.0.1', ['192.0.2.0/24', '10.0.0.0/8'], true],
    ['10.0.0.1', ['10.0.0.1'], true],
    ['10.0.0.2', ['10.0.0.1'], false],
    ['::ffff:10.0.0.1', ['10.0.0.0/8'], true],
    ['::ffff:11.0.0.1', ['10.0.0.0/8'], false],
    ['2001:db8::1', ['2001:db8::/32'], true],
    ['2001:db9::1', ['2001:db8::/32'], false],
    ['2001:db8::1', ['2001:db8::1'], true],
    ['10.0.0.1', ['::/0'], false],
    ['2001:db8::1', ['0.0.0.0/0'], false],
    ['203.0.113.7', ['0.0.0.0/0'], true],
    ['10.0.0.1', [], false],
    ['not-an-address', ['0.0.0.0/0'], false],
    ['', ['0.0.0.0/0'], false],
  ];
  for (const [address, blocks, expected] of cases) {
    test(`${JSON.stringify(address)} in ${JSON.stringify(blocks)} is ${expected}`, () => assert.equal(addressInAny(address, blocks), expected));
  }
});

describe('isCidr', () => {
  const cases: Array<[string, boolean]> = [
    ['10.0.0.0/8', true], ['10.0.0.1', true], ['2001:db8::/32', true], ['::1', true],
    ['10.0.0.0/33', false], ['2001:db8::/129', false], ['db1', false], ['', false], ['10.0.0.0/', false],
  ];
  for (const [text, expected] of cases) {
    test(JSON.stringify(text), () => assert.equal(isCidr(text), expected));
  }
});
