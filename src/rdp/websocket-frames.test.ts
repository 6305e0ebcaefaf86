import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameDecoder, WebsocketError, acceptKey, binaryFrame, closeFrame, MAX_FRAME_PAYLOAD } from './websocket-frames.js';
import { maskedFrame } from '../../test/helpers/tsgu-client.js';

describe('websocket frames', () => {
  test('the accept key of RFC 6455 §1.3, and of the 15-character key FreeRDP 2 sends', () => {
    assert.equal(acceptKey('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
    assert.match(acceptKey('ABCDEFGHIJKLMNO'), /^[A-Za-z0-9+/]{27}=$/);
  });

  test('binary payloads come out as one byte stream, whatever the frame sizes and however the bytes arrive', () => {
    const payloads = [Buffer.alloc(5, 1), Buffer.alloc(300, 2), Buffer.alloc(70_000, 3)];
    const stream = Buffer.concat([maskedFrame(2, payloads[0], false), maskedFrame(0, payloads[1]), maskedFrame(2, payloads[2])]);
    for (const size of [1, 3, 1000, stream.length]) {
      const decoder = new FrameDecoder();
      const out: Buffer[] = [];
      for (let at = 0; at < stream.length; at += size) {
        for (const event of decoder.push(stream.subarray(at, at + size))) if (event.kind === 'data') out.push(event.bytes);
      }
      assert.deepEqual(Buffer.concat(out), Buffer.concat(payloads), `pieces of ${size}`);
    }
  });

  test('pings, pongs and close frames are reported', () => {
    const decoder = new FrameDecoder();
    assert.deepEqual(decoder.push(Buffer.concat([maskedFrame(9, Buffer.from('hi')), maskedFrame(10, Buffer.alloc(0)), maskedFrame(8, Buffer.from([3, 232]))])),
      [{ kind: 'ping', payload: Buffer.from('hi') }, { kind: 'pong' }, { kind: 'close', code: 1000 }]);
  });

  const refusals: Array<[string, Buffer, number]> = [
    ['an unmasked client frame', Buffer.from([0x82, 0x01, 0x00]), 1002],
    ['reserved bits', Buffer.concat([Buffer.from([0xc2]), maskedFrame(2, Buffer.from('x')).subarray(1)]), 1002],
    ['a text frame', maskedFrame(1, Buffer.from('x')), 1003],
    ['a fragmented ping', maskedFrame(9, Buffer.from('x'), false), 1002],
    ['a continuation without a message', maskedFrame(0, Buffer.from('x')), 1002],
    ['a frame larger than the bound', maskedFrame(2, Buffer.alloc(MAX_FRAME_PAYLOAD + 1)).subarray(0, 20), 1009],
  ];
  for (const [name, bytes, code] of refusals) {
    test(`refused: ${name}`, () => assert.throws(() => new FrameDecoder().push(bytes), (error: Error) => error instanceof WebsocketError && error.closeCode === code));
  }

  test('server frames are unmasked with the shortest length form', () => {
    assert.deepEqual([...binaryFrame(Buffer.from('ab'))], [0x82, 2, 0x61, 0x62]);
    assert.deepEqual([...binaryFrame(Buffer.alloc(200)).subarray(0, 4)], [0x82, 126, 0, 200]);
    assert.deepEqual([...binaryFrame(Buffer.alloc(70_000)).subarray(0, 10)], [0x82, 127, 0, 0, 0, 0, 0, 1, 0x11, 0x70]);
    assert.deepEqual([...closeFrame(1000)], [0x88, 2, 3, 232]);
  });
});
