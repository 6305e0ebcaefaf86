/**
 * The server side of RFC 6455 framing, as much as the RD Gateway's websocket transport
 * needs: binary frames carry the MS-TSGU byte stream, control frames are answered. Our
 * own (not the `ws` package): the client's upgrade request uses the method RDG_OUT_DATA,
 * and FreeRDP 2 sends a `Sec-WebSocket-Key` that is not 16 base64-encoded bytes; both
 * are refused by general-purpose servers, and neither matters to the framing.
 */
import { createHash } from 'node:crypto';

const OPCODE = { CONTINUATION: 0x0, TEXT: 0x1, BINARY: 0x2, CLOSE: 0x8, PING: 0x9, PONG: 0xa } as const;
const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** A frame larger than this ends the connection: a tunnel packet is at most 64 KiB. */
export const MAX_FRAME_PAYLOAD = 256 * 1024;

export type WebsocketEvent =
  | { kind: 'data'; bytes: Buffer }
  | { kind: 'ping'; payload: Buffer }
  | { kind: 'pong' }
  | { kind: 'close'; code: number | null };

export class WebsocketError extends Error {
  readonly code = 'WEBSOCKET_PROTOCOL';
  /** The close code to send (RFC 6455 §7.4.1): 1002 protocol error, 1003 unsupported data, 1009 too big. */
  constructor(message: string, readonly closeCode: 1002 | 1003 | 1009) {
    super(message);
  }
}

/** `Sec-WebSocket-Accept` for a client's key (RFC 6455 §4.2.2). */
export function acceptKey(clientKey: string): string {
  return createHash('sha1').update(clientKey + WEBSOCKET_GUID).digest('base64');
}

/** One unmasked server frame (servers never mask, RFC 6455 §5.1). */
export function encodeFrame(opcode: number, payload: Buffer): Buffer {
  const length = payload.length;
  const head = length < 126 ? Buffer.alloc(2) : length < 0x10000 ? Buffer.alloc(4) : Buffer.alloc(10);
  head[0] = 0x80 | opcode;
  if (length < 126) head[1] = length;
  else if (length < 0x10000) {
    head[1] = 126;
    head.writeUInt16BE(length, 2);
  } else {
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(length), 2);
  }
  return Buffer.concat([head, payload]);
}

export const binaryFrame = (payload: Buffer): Buffer => encodeFrame(OPCODE.BINARY, payload);
export const pongFrame = (payload: Buffer): Buffer => encodeFrame(OPCODE.PONG, payload);

export function closeFrame(code: number): Buffer {
  const payload = Buffer.alloc(2);
  payload.writeUInt16BE(code, 0);
  return encodeFrame(OPCODE.CLOSE, payload);
}

/**
 * Decodes client frames from a byte stream. Binary payloads come out as a byte stream
 * (`data`): MS-TSGU packets need not line up with frames. Text frames, unmasked frames,
 * reserved bits and oversized or fragmented control frames are protocol errors.
 */
export class FrameDecoder {
  private pending = Buffer.alloc(0);
  private arriving: Buffer[] = [];
  private arrivingLength = 0;
  /** Bytes the frame being read needs in all: nothing is joined or parsed before they are there. */
  private needed = 2;
  /** The opcode of the message a continuation frame continues, null between messages. */
  private messageOpcode: number | null = null;

  push(bytes: Buffer): WebsocketEvent[] {
    this.arriving.push(bytes);
    this.arrivingLength += bytes.length;
    // A frame trickling in one byte at a time costs one copy when it is whole, not one per byte.
    if (this.pending.length + this.arrivingLength < this.needed) return [];
    this.pending = Buffer.concat([this.pending, ...this.arriving]);
    this.arriving = [];
    this.arrivingLength = 0;
    const events: WebsocketEvent[] = [];
    for (;;) {
      const frame = this.nextFrame();
      if (!frame) break;
      const event = this.interpret(frame);
      if (event) events.push(event);
    }
    return events;
  }

  private nextFrame(): { fin: boolean; opcode: number; payload: Buffer } | null {
    const buffer = this.pending;
    this.needed = 2;
    if (buffer.length < 2) return null;
    if ((buffer[0] & 0x70) !== 0) throw new WebsocketError('reserved bits set (no extension was negotiated)', 1002);
    if ((buffer[1] & 0x80) === 0) throw new WebsocketError('a client frame is not masked', 1002);
    let length = buffer[1] & 0x7f;
    let offset = 2;
    if (length === 126) {
      this.needed = 4;
      if (buffer.length < 4) return null;
      length = buffer.readUInt16BE(2);
      offset = 4;
    } else if (length === 127) {
      this.needed = 10;
      if (buffer.length < 10) return null;
      const wide = buffer.readBigUInt64BE(2);
      if (wide > BigInt(MAX_FRAME_PAYLOAD)) throw new WebsocketError(`a frame of ${wide} bytes exceeds ${MAX_FRAME_PAYLOAD}`, 1009);
      length = Number(wide);
      offset = 10;
    }
    if (length > MAX_FRAME_PAYLOAD) throw new WebsocketError(`a frame of ${length} bytes exceeds ${MAX_FRAME_PAYLOAD}`, 1009);
    this.needed = offset + 4 + length;
    if (buffer.length < this.needed) return null;
    const mask = buffer.subarray(offset, offset + 4);
    const payload = Buffer.from(buffer.subarray(offset + 4, offset + 4 + length));
    for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i & 3];
    this.pending = buffer.subarray(offset + 4 + length);
    this.needed = 2;
    return { fin: (buffer[0] & 0x80) !== 0, opcode: buffer[0] & 0x0f, payload };
  }

  private interpret({ fin, opcode, payload }: { fin: boolean; opcode: number; payload: Buffer }): WebsocketEvent | null {
    if (opcode >= 0x8) {
      if (!fin || payload.length > 125) throw new WebsocketError('a control frame is fragmented or longer than 125 bytes', 1002);
      if (opcode === OPCODE.CLOSE) return { kind: 'close', code: payload.length >= 2 ? payload.readUInt16BE(0) : null };
      if (opcode === OPCODE.PING) return { kind: 'ping', payload };
      if (opcode === OPCODE.PONG) return { kind: 'pong' };
      throw new WebsocketError(`unknown control opcode ${opcode}`, 1002);
    }
    if (opcode === OPCODE.CONTINUATION) {
      if (this.messageOpcode === null) throw new WebsocketError('a continuation frame without a message', 1002);
    } else {
      if (this.messageOpcode !== null) throw new WebsocketError('a new message inside a fragmented one', 1002);
      if (opcode !== OPCODE.BINARY) throw new WebsocketError(opcode === OPCODE.TEXT ? 'text frames carry no tunnel packets' : `unknown opcode ${opcode}`, 1003);
      this.messageOpcode = opcode;
    }
    if (fin) this.messageOpcode = null;
    return payload.length > 0 ? { kind: 'data', bytes: payload } : null;
  }
}
