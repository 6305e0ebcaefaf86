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
 * XORs `bytes` in place with the 4-byte mask (RFC 6455 §5.3), a 32-bit word at a time:
 * every byte a client sends passes here, and a byte-wise loop costs more than the TLS.
 * Masking and unmasking are the same operation.
 */
export function applyMask(bytes: Buffer, mask: Buffer): Buffer {
  const aligned = bytes.byteOffset % 4 === 0;
  const words = aligned ? bytes.length >>> 2 : 0;
  if (words > 0) {
    const view = new Uint32Array(bytes.buffer, bytes.byteOffset, words);
    // The key read in the byte order the words are read in.
    const key = new Uint32Array(new Uint8Array(mask).buffer)[0];
    for (let i = 0; i < words; i++) view[i] ^= key;
  }
  for (let i = words << 2; i < bytes.length; i++) bytes[i] ^= mask[i & 3];
  return bytes;
}

/**
 * The bytes received and not yet decoded, kept as the chunks they came in: a frame is
 * copied once, into its own payload, when all of it is there.
 */
class ChunkQueue {
  private chunks: Buffer[] = [];
  length = 0;

  push(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.chunks.push(bytes);
    this.length += bytes.length;
  }

  /** The first `count` bytes (at most 14, a frame header), copied out. */
  peek(count: number): Buffer {
    const first = this.chunks[0];
    if (first.length >= count) return first.subarray(0, count);
    const out = Buffer.alloc(count);
    let filled = 0;
    for (let i = 0; filled < count && i < this.chunks.length; i++) filled += this.chunks[i].copy(out, filled, 0, Math.min(this.chunks[i].length, count - filled));
    return out;
  }

  /** Removes the first `count` bytes, copied into a buffer of their own (aligned for applyMask). */
  take(count: number): Buffer {
    const out = Buffer.allocUnsafeSlow(count);
    let filled = 0;
    for (const chunk of this.chunks) {
      if (filled === count) break;
      const used = Math.min(chunk.length, count - filled);
      chunk.copy(out, filled, 0, used);
      filled += used;
    }
    this.drop(count);
    return out;
  }

  drop(count: number): void {
    this.length -= count;
    // Whole chunks go in one splice: a frame that came a byte at a time costs no quadratic shifting.
    let whole = 0;
    while (whole < this.chunks.length && this.chunks[whole].length <= count) count -= this.chunks[whole++].length;
    this.chunks.splice(0, whole);
    if (count > 0) this.chunks[0] = this.chunks[0].subarray(count);
  }
}

/**
 * Decodes client frames from a byte stream. Binary payloads come out as a byte stream
 * (`data`): MS-TSGU packets need not line up with frames. Text frames, unmasked frames,
 * reserved bits and oversized or fragmented control frames are protocol errors.
 */
export class FrameDecoder {
  private readonly queue = new ChunkQueue();
  /** The opcode of the message a continuation frame continues, null between messages. */
  private messageOpcode: number | null = null;

  push(bytes: Buffer): WebsocketEvent[] {
    this.queue.push(bytes);
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
    const queue = this.queue;
    if (queue.length < 2) return null;
    const start = queue.peek(2);
    if ((start[0] & 0x70) !== 0) throw new WebsocketError('reserved bits set (no extension was negotiated)', 1002);
    if ((start[1] & 0x80) === 0) throw new WebsocketError('a client frame is not masked', 1002);
    let length = start[1] & 0x7f;
    let offset = 2;
    if (length === 126) {
      if (queue.length < 4) return null;
      length = queue.peek(4).readUInt16BE(2);
      offset = 4;
    } else if (length === 127) {
      if (queue.length < 10) return null;
      const wide = queue.peek(10).readBigUInt64BE(2);
      if (wide > BigInt(MAX_FRAME_PAYLOAD)) throw new WebsocketError(`a frame of ${wide} bytes exceeds ${MAX_FRAME_PAYLOAD}`, 1009);
      length = Number(wide);
      offset = 10;
    }
    if (length > MAX_FRAME_PAYLOAD) throw new WebsocketError(`a frame of ${length} bytes exceeds ${MAX_FRAME_PAYLOAD}`, 1009);
    if (queue.length < offset + 4 + length) return null;
    const mask = Buffer.from(queue.peek(offset + 4).subarray(offset));
    queue.drop(offset + 4);
    const payload = applyMask(queue.take(length), mask);
    return { fin: (start[0] & 0x80) !== 0, opcode: start[0] & 0x0f, payload };
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
