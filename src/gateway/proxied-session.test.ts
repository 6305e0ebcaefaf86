import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { Session } from 'ssh2';
import { handleProxiedSession, type ProxiedConnection } from './proxied-session.js';

function fakeConnection(recorded: unknown[]): ProxiedConnection {
  const logger = { debug() {}, info() {}, warn() {}, error() {} };
  const audit = { record: async (event: unknown) => { recorded.push(event); }, note: (event: unknown) => { recorded.push(event); } };
  return { deps: { logger, audit }, who: { userName: 'alice', ip: '127.0.0.1', mfaVerified: false }, src: '127.0.0.1:5555', offerAgent() {} } as unknown as ProxiedConnection;
}

test('X11 requests repeated without end are refused, and audited once; agent requests are taken, to be judged when the session starts', async () => {
  const recorded: unknown[] = [];
  const session = new EventEmitter();
  handleProxiedSession(fakeConnection(recorded), session as unknown as Session, 'db1', null);
  let rejected = 0;
  let accepted = 0;
  for (let i = 0; i < 10_000; i++) {
    session.emit('auth-agent', () => { accepted++; }, () => { rejected++; });
    session.emit('x11', undefined, () => { rejected++; }, {});
  }
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(rejected, 10_000);
  assert.equal(accepted, 10_000);
  assert.deepEqual(recorded.map((e) => (e as { access: string }).access), ['x11']);
});
