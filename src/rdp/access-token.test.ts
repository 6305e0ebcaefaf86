import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { checkToken, issueToken } from './access-token.js';
import { Secret } from '../vault/secret.js';

const key = new Secret(randomBytes(32));
const other = new Secret(randomBytes(32));
const now = new Date('2026-12-02T12:00:00Z');

test('a token names its user and target and is valid until it expires', () => {
  const { token, claims } = issueToken('alice', 'win1', 300_000, key, now);
  assert.match(token, /^jg1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
  assert.deepEqual(checkToken(token, [key], now), { valid: true, claims });
  assert.equal(claims.expiresAt, '2026-12-02T12:05:00.000Z');
  assert.deepEqual(checkToken(token, [key], new Date('2026-12-02T12:05:00Z')), { valid: false, reason: 'expired', claims });
});

test('a token verifies under any key the vault still holds (a rotation under way)', () => {
  const { token } = issueToken('alice', 'win1', 300_000, key, now);
  assert.equal(checkToken(token, [other, key], now).valid, true);
  assert.deepEqual(checkToken(token, [other], now), { valid: false, reason: 'bad signature' });
});

test('an altered token fails its signature: another user, another target, a later expiry', () => {
  const { token } = issueToken('alice', 'win1', 300_000, key, now);
  const [prefix, , mac] = token.split('.');
  for (const change of [{ u: 'bob' }, { t: 'dc1' }, { e: '2099-01-01T00:00:00.000Z' }]) {
    const payload = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as Record<string, string>;
    const forged = `${prefix}.${Buffer.from(JSON.stringify({ ...payload, ...change })).toString('base64url')}.${mac}`;
    assert.deepEqual(checkToken(forged, [key], now), { valid: false, reason: 'bad signature' });
  }
});

test('text that is not a token is malformed', () => {
  for (const text of ['', 'garbage', 'jg1.a.b', `jg2.e30.${'A'.repeat(43)}`, 'x'.repeat(5000)]) {
    assert.deepEqual(checkToken(text, [key], now), { valid: false, reason: 'malformed' }, text.slice(0, 20));
  }
});
