/**
 * Client packets of MS-TSGU as FreeRDP 2.11 builds them (libfreerdp/core/gateway/rdg.c),
 * for tests that play the client: field for field, little-endian, UTF-16LE strings with
 * their NUL counted in the length.
 */
const utf16z = (text: string): Buffer => Buffer.from(`${text}\0`, 'utf16le');

function packet(type: number, body: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt16LE(type, 0);
  head.writeUInt32LE(8 + body.length, 4);
  return Buffer.concat([head, body]);
}

export function handshakeRequest(extendedAuth = 2, versionMajor = 1): Buffer {
  const body = Buffer.alloc(6);
  body.writeUInt8(versionMajor, 0);
  body.writeUInt16LE(extendedAuth, 4);
  return packet(0x1, body);
}

export function tunnelCreate(cookie: string | null): Buffer {
  const fixed = Buffer.alloc(8);
  fixed.writeUInt32LE(0x1 | 0x4 | 0x8, 0);
  fixed.writeUInt16LE(cookie === null ? 0 : 1, 4);
  if (cookie === null) return packet(0x4, fixed);
  const text = utf16z(cookie);
  const size = Buffer.alloc(2);
  size.writeUInt16LE(text.length, 0);
  return packet(0x4, Buffer.concat([fixed, size, text]));
}

export function tunnelAuth(clientName: string): Buffer {
  const text = utf16z(clientName);
  const fixed = Buffer.alloc(4);
  fixed.writeUInt16LE(text.length, 2);
  return packet(0x6, Buffer.concat([fixed, text]));
}

export function channelCreate(host: string, port: number, protocol = 3): Buffer {
  const text = utf16z(host);
  const fixed = Buffer.alloc(8);
  fixed.writeUInt8(1, 0);
  fixed.writeUInt16LE(port, 2);
  fixed.writeUInt16LE(protocol, 4);
  fixed.writeUInt16LE(text.length, 6);
  return packet(0x8, Buffer.concat([fixed, text]));
}

export function data(bytes: Buffer): Buffer {
  const size = Buffer.alloc(2);
  size.writeUInt16LE(bytes.length, 0);
  return packet(0xa, Buffer.concat([size, bytes]));
}

export const keepalive = (): Buffer => packet(0xd, Buffer.alloc(0));

export function closeChannel(status = 0): Buffer {
  const body = Buffer.alloc(4);
  body.writeUInt32LE(status, 0);
  return packet(0x10, body);
}

/** A client websocket frame: masked, as RFC 6455 §5.3 requires of clients. */
export function maskedFrame(opcode: number, payload: Buffer, fin = true, mask = Buffer.from([1, 2, 3, 4])): Buffer {
  const length = payload.length;
  const head = length < 126 ? Buffer.from([0, 0x80 | length]) : length < 0x10000 ? Buffer.alloc(4) : Buffer.alloc(10);
  head[0] = (fin ? 0x80 : 0) | opcode;
  if (length >= 126 && length < 0x10000) {
    head[1] = 0x80 | 126;
    head.writeUInt16BE(length, 2);
  } else if (length >= 0x10000) {
    head[1] = 0x80 | 127;
    head.writeBigUInt64BE(BigInt(length), 2);
  }
  const masked = Buffer.from(payload);
  for (let i = 0; i < masked.length; i++) masked[i] ^= mask[i & 3];
  return Buffer.concat([head, mask, masked]);
}
