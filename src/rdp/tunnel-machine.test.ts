import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TunnelMachine, type Step } from './tunnel-machine.js';
import { HRESULT, parseClientPacket } from './tsgu-packets.js';
import * as client from '../../test/helpers/tsgu-client.js';

const ids = { tunnelId: 1, channelId: 1, idleTimeoutMinutes: 30 };
const feed = (machine: TunnelMachine, bytes: Buffer): Step => machine.receive(parseClientPacket(bytes));
const sentType = (step: Step): number | null => (step.kind === 'send' ? step.packet.readUInt16LE(0) : null);
const status = (step: Step, at: number): number | null => (step.kind === 'end' && step.packet ? step.packet.readUInt32LE(at) : null);

/** A machine walked to `open` the way FreeRDP walks it. */
function opened(): TunnelMachine {
  const machine = new TunnelMachine(ids);
  assert.equal(sentType(feed(machine, client.handshakeRequest())), 0x2);
  assert.deepEqual(feed(machine, client.tunnelCreate('tok')), { kind: 'check-cookie', cookie: 'tok' });
  assert.equal(sentType(machine.cookieChecked(true)), 0x5);
  assert.equal(sentType(feed(machine, client.tunnelAuth('laptop'))), 0x7);
  assert.deepEqual(feed(machine, client.channelCreate('win1', 3389)), { kind: 'open-channel', host: 'win1', port: 3389 });
  assert.equal(sentType(machine.channelOpened()), 0x9);
  assert.equal(machine.state, 'open');
  return machine;
}

describe('tunnel state machine', () => {
  test('the whole way to an open channel, then data, keepalives and the client\'s close', () => {
    const machine = opened();
    assert.deepEqual(feed(machine, client.data(Buffer.from('rdp'))), { kind: 'data', data: Buffer.from('rdp') });
    assert.deepEqual(feed(machine, client.keepalive()), { kind: 'none' });
    const close = feed(machine, client.closeChannel());
    assert.equal(close.kind, 'end');
    assert.equal(close.kind === 'end' && close.packet?.readUInt16LE(0), 0x11);
    assert.equal(machine.state, 'closed');
  });

  test('the gateway closes an open channel and waits for the client\'s close response', () => {
    const machine = opened();
    assert.equal(sentType(machine.close(HRESULT.E_PROXY_CONNECTIONABORTED, 'killed')), 0x10);
    assert.equal(machine.state, 'closing');
    assert.deepEqual(feed(machine, Buffer.from([0x11, 0, 0, 0, 12, 0, 0, 0, 0, 0, 0, 0])), { kind: 'end', packet: null, reason: 'closed' });
  });

  const refusals: Array<[string, (m: TunnelMachine) => Step, number, number]> = [
    ['a client without PAA', (m) => feed(m, client.handshakeRequest(0)), 8, HRESULT.E_PROXY_UNSUPPORTED_AUTHENTICATION_METHOD],
    ['another protocol version', (m) => feed(m, client.handshakeRequest(2, 2)), 8, HRESULT.E_PROXY_CAPABILITYMISMATCH],
    ['a tunnel create without a cookie', (m) => { feed(m, client.handshakeRequest()); return feed(m, client.tunnelCreate(null)); }, 10, HRESULT.E_PROXY_COOKIE_AUTHENTICATION_ACCESS_DENIED],
    ['a refused cookie', (m) => { feed(m, client.handshakeRequest()); feed(m, client.tunnelCreate('x')); return m.cookieChecked(false); }, 10, HRESULT.E_PROXY_COOKIE_AUTHENTICATION_ACCESS_DENIED],
    ['a channel for another protocol', (m) => {
      feed(m, client.handshakeRequest()); feed(m, client.tunnelCreate('x')); m.cookieChecked(true); feed(m, client.tunnelAuth('c'));
      return feed(m, client.channelCreate('win1', 3389, 1));
    }, 8, HRESULT.E_PROXY_RAP_ACCESSDENIED],
    ['a refused channel', (m) => {
      feed(m, client.handshakeRequest()); feed(m, client.tunnelCreate('x')); m.cookieChecked(true); feed(m, client.tunnelAuth('c'));
      feed(m, client.channelCreate('win1', 3389));
      return m.channelRefused(HRESULT.E_PROXY_RAP_ACCESSDENIED, 'no');
    }, 8, HRESULT.E_PROXY_RAP_ACCESSDENIED],
  ];
  for (const [name, act, at, code] of refusals) {
    test(`refused with the protocol's code: ${name}`, () => {
      const machine = new TunnelMachine(ids);
      const step = act(machine);
      assert.equal(status(step, at), code);
      assert.equal(step.kind === 'end' && step.refusal, code);
      assert.equal(machine.state, 'closed');
    });
  }

  const outOfOrder: Array<[string, Buffer[]]> = [
    ['data before the channel is open', [client.handshakeRequest(), client.data(Buffer.from('x'))]],
    ['a channel create before the tunnel', [client.handshakeRequest(), client.channelCreate('win1', 3389)]],
    ['a second handshake', [client.handshakeRequest(), client.handshakeRequest()]],
    ['a keepalive before the handshake', [client.keepalive()]],
    ['a packet while the cookie is being checked', [client.handshakeRequest(), client.tunnelCreate('x'), client.tunnelAuth('c')]],
  ];
  for (const [name, packets] of outOfOrder) {
    test(`ends the tunnel: ${name}`, () => {
      const machine = new TunnelMachine(ids);
      let step: Step = { kind: 'none' };
      for (const packet of packets) step = feed(machine, packet);
      assert.equal(step.kind, 'end');
      assert.equal(machine.state, 'closed');
      assert.deepEqual(feed(machine, client.keepalive()).kind, 'end', 'nothing is accepted afterwards');
    });
  }

  test('an answer given in the wrong state is a bug, not a decision', () => {
    assert.throws(() => new TunnelMachine(ids).channelOpened(), /while handshake/);
  });
});
