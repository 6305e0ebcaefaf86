/**
 * Fuzzing the RD Gateway's input layers with what a hostile client may send: whatever the
 * bytes, they either parse or are refused with the layer's own error (never another
 * exception), and nothing buffers beyond its bound.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fuzz, fuzzTimeoutMs } from '../../test/helpers/fuzz.js';
import { MAX_PACKET_LENGTH, PacketError, PacketReader, parseClientPacket } from './tsgu-packets.js';
import { TunnelMachine } from './tunnel-machine.js';
import { FrameDecoder, MAX_FRAME_PAYLOAD, WebsocketError } from './websocket-frames.js';
import { HttpHeadError, MAX_HEAD_BYTES, parseRequestHead } from './http-request-head.js';
import { ChunkedDecoder } from './chunked-body.js';
import * as client from '../../test/helpers/tsgu-client.js';

const expected = (error: unknown, ...kinds: Array<new (...args: never[]) => Error>) => {
  if (!kinds.some((kind) => error instanceof kind)) throw error;
};

/** Real packets, mutated: the fuzzer reaches past the header checks more often than with random bytes. */
const packetLike = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
  fc.tuple(
    fc.constantFrom(client.handshakeRequest(), client.tunnelCreate('jg1.x.y'), client.tunnelAuth('pc'), client.channelCreate('win1', 3389), client.data(Buffer.from('abc')), client.keepalive(), client.closeChannel()),
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
  ).map(([packet, flips]) => {
    const copy = Buffer.from(packet);
    for (const [at, value] of flips) copy[at % copy.length] = value;
    return copy;
  }),
);

test('packets: a stream of anything is cut and parsed, or refused as a bad packet; the machine never throws', { timeout: fuzzTimeoutMs() }, () =>
  fuzz(fc.property(fc.array(packetLike, { maxLength: 12 }), fc.integer({ min: 1, max: 64 }), (packets, piece) => {
    const reader = new PacketReader();
    const machine = new TunnelMachine({ tunnelId: 1, channelId: 1, idleTimeoutMinutes: 1 });
    const stream = Buffer.concat(packets);
    try {
      for (let at = 0; at < stream.length; at += piece) {
        for (const packet of reader.push(stream.subarray(at, at + piece))) {
          const step = machine.receive(parseClientPacket(packet));
          // Answer the asks as the gateway would, so the fuzzer reaches the later states.
          if (step.kind === 'check-cookie') machine.cookieChecked(true);
          if (step.kind === 'open-channel') machine.channelOpened();
        }
        assert.ok(reader.buffered <= MAX_PACKET_LENGTH + piece);
      }
    } catch (error) {
      expected(error, PacketError);
    }
  })));

test('websocket frames: anything decodes or is refused with a close code', { timeout: fuzzTimeoutMs() }, () =>
  fuzz(fc.property(
    fc.array(fc.oneof(
      fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
      fc.tuple(fc.integer({ min: 0, max: 15 }), fc.uint8Array({ maxLength: 200 }), fc.boolean()).map(([op, payload, fin]) => client.maskedFrame(op, Buffer.from(payload), fin)),
    ), { maxLength: 8 }),
    (pieces) => {
      const decoder = new FrameDecoder();
      try {
        for (const piece of pieces) for (const event of decoder.push(piece)) if (event.kind === 'data') assert.ok(event.bytes.length <= MAX_FRAME_PAYLOAD);
      } catch (error) {
        expected(error, WebsocketError);
      }
    },
  )));

test('HTTP heads and chunked bodies: anything parses or is refused with a status', { timeout: fuzzTimeoutMs() }, () =>
  fuzz(fc.property(fc.string({ unit: 'binary', maxLength: 400 }), fc.string({ unit: 'binary', maxLength: 200 }), (text, chunked) => {
    try {
      const parsed = parseRequestHead(Buffer.from(`${text}\r\n\r\n`, 'latin1'));
      if (parsed) assert.ok(parsed.head.headers.size <= 64 && Buffer.byteLength(text, 'latin1') <= MAX_HEAD_BYTES);
    } catch (error) {
      expected(error, HttpHeadError);
    }
    try {
      new ChunkedDecoder().push(Buffer.from(chunked, 'latin1'));
    } catch (error) {
      expected(error, HttpHeadError);
    }
  })));
