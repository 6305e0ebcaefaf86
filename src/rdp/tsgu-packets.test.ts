import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  HRESULT, MAX_PACKET_LENGTH, PacketError, PacketReader, channelResponse, closeChannel, dataPacket, handshakeResponse, parseClientPacket,
  tunnelAuthResponse, tunnelResponse, type ClientPacket,
} from './tsgu-packets.js';
import * as client from '../../test/helpers/tsgu-client.js';

function withLength(packet: Buffer, length: number): Buffer {
  const copy = Buffer.from(packet);
  copy.writeUInt32LE(length, 4);
  return copy;
}

describe('client packets', () => {
  const cases: Array<[string, Buffer, ClientPacket]> = [
    ['handshake offering PAA', client.handshakeRequest(2), { type: 'handshake', versionMajor: 1, versionMinor: 0, extendedAuth: 2 }],
    ['tunnel create with a cookie', client.tunnelCreate('jg1.abc'), { type: 'tunnel-create', capabilities: 0xd, paaCookie: 'jg1.abc' }],
    ['tunnel create without one', client.tunnelCreate(null), { type: 'tunnel-create', capabilities: 0xd, paaCookie: null }],
    ['tunnel auth', client.tunnelAuth('laptop'), { type: 'tunnel-auth', clientName: 'laptop' }],
    ['channel create', client.channelCreate('win1', 3389), { type: 'channel-create', resources: ['win1'], port: 3389, protocol: 3 }],
    ['data', client.data(Buffer.from('hello')), { type: 'data', data: Buffer.from('hello') }],
    ['keepalive', client.keepalive(), { type: 'keepalive' }],
    ['close channel', client.closeChannel(0), { type: 'close-channel', status: 0 }],
  ];
  for (const [name, bytes, expected] of cases) {
    test(name, () => assert.deepEqual(parseClientPacket(bytes), expected));
  }

  const refusals: Array<[string, Buffer, RegExp]> = [
    ['a length shorter than the header', withLength(client.keepalive(), 4), /shorter than its header/],
    ['a length beyond the largest packet', withLength(client.keepalive(), MAX_PACKET_LENGTH + 1), /exceeds/],
    ['a length that is not the packet\'s', withLength(client.keepalive(), 9), /truncated/],
    ['a data size past the packet', (() => { const p = client.data(Buffer.from('hi')); p.writeUInt16LE(50, 8); return p; })(), /past the end/],
    ['a string size past the packet', (() => { const p = client.tunnelAuth('x'); p.writeUInt16LE(400, 10); return p; })(), /past the end/],
    ['an odd UTF-16 size', (() => { const p = client.tunnelAuth('xy'); p.writeUInt16LE(3, 10); return p; })(), /odd byte count/],
    ['a handshake cut short', withLength(client.handshakeRequest().subarray(0, 10), 10), /past the end/],
    ['a channel create naming two resources', (() => {
      const packet = Buffer.concat([client.channelCreate('a', 3389), Buffer.from([4, 0, 0x62, 0, 0, 0]) /* a second name, "b" */]);
      packet.writeUInt32LE(packet.length, 4);
      packet.writeUInt8(2, 8);
      return packet;
    })(), /one resource/],
  ];
  for (const [name, bytes, message] of refusals) {
    test(`refused: ${name}`, () => assert.throws(() => parseClientPacket(bytes), (error: Error) => error instanceof PacketError && message.test(error.message)));
  }
});

describe('gateway packets, laid out as FreeRDP reads them', () => {
  test('handshake response: status at 8, version 1.0, PAA', () => {
    const packet = handshakeResponse(HRESULT.OK);
    assert.deepEqual([packet.readUInt16LE(0), packet.readUInt32LE(4), packet.readUInt32LE(8), packet[12], packet[13], packet.readUInt16LE(16)], [2, 18, 0, 1, 0, 2]);
  });
  test('tunnel response: status at 10; tunnel id and capabilities only on success', () => {
    const ok = tunnelResponse(HRESULT.OK, 7);
    assert.deepEqual([ok.length, ok.readUInt32LE(4), ok.readUInt32LE(10), ok.readUInt16LE(14), ok.readUInt32LE(18)], [26, 26, 0, 3, 7]);
    const denied = tunnelResponse(HRESULT.E_PROXY_COOKIE_AUTHENTICATION_ACCESS_DENIED);
    assert.deepEqual([denied.length, denied.readUInt32LE(10), denied.readUInt16LE(14)], [18, 0x800759f8, 0]);
  });
  test('tunnel auth response: status at 8, the idle timeout in minutes', () => {
    const ok = tunnelAuthResponse(HRESULT.OK, 30);
    assert.deepEqual([ok.length, ok.readUInt32LE(8), ok.readUInt16LE(12), ok.readUInt32LE(20)], [24, 0, 3, 30]);
  });
  test('channel response: status at 8, the channel id on success', () => {
    const ok = channelResponse(HRESULT.OK, 9);
    assert.deepEqual([ok.length, ok.readUInt32LE(8), ok.readUInt32LE(16)], [20, 0, 9]);
    const denied = channelResponse(HRESULT.E_PROXY_RAP_ACCESSDENIED);
    assert.deepEqual([denied.length, denied.readUInt32LE(8)], [16, 0x800759da]);
  });
  test('data and close packets', () => {
    const packet = dataPacket(Buffer.from('abc'));
    assert.deepEqual([packet.readUInt16LE(0), packet.readUInt32LE(4), packet.readUInt16LE(8), packet.subarray(10).toString()], [0xa, 13, 3, 'abc']);
    assert.throws(() => dataPacket(Buffer.alloc(0x10000)), RangeError);
    assert.deepEqual([...closeChannel(HRESULT.OK, true)], [0x11, 0, 0, 0, 12, 0, 0, 0, 0, 0, 0, 0]);
  });
});

describe('PacketReader', () => {
  const stream = Buffer.concat([client.handshakeRequest(), client.data(Buffer.alloc(3000, 7)), client.keepalive()]);

  test('cuts a stream into packets however it is split', () => {
    for (const size of [1, 7, 8, 9, 100, stream.length]) {
      const reader = new PacketReader();
      const packets: Buffer[] = [];
      for (let at = 0; at < stream.length; at += size) packets.push(...reader.push(stream.subarray(at, at + size)));
      assert.deepEqual(packets.map((p) => parseClientPacket(p).type), ['handshake', 'data', 'keepalive'], `pieces of ${size}`);
      assert.equal(reader.buffered, 0);
    }
  });

  test('refuses an oversized length before buffering for it', () => {
    const reader = new PacketReader();
    assert.throws(() => reader.push(withLength(client.keepalive(), 0x7fffffff)), PacketError);
  });
});
