/**
 * A minimal RD Gateway client for the benchmark: TLS, the websocket upgrade of
 * RDG_OUT_DATA, the MS-TSGU handshake with a gateway access token, one channel, then a
 * stream of data packets as fast as the gateway takes them (one packet per frame, as
 * FreeRDP sends them).
 */
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import * as client from '../test/helpers/tsgu-client.js';
import { PacketReader } from '../src/rdp/tsgu-packets.js';
import { applyMask } from '../src/rdp/websocket-frames.js';
import { randomBytes } from 'node:crypto';

const DATA_PAYLOAD = 0xffff;

/** Opens a tunnel and channel to `resource:port` through the gateway, then sends `bytes` bytes of data. */
export async function uploadThroughGateway(gatewayPort: number, token: string, resource: string, port: number, bytes: number): Promise<void> {
  const socket = tlsConnect({ host: '127.0.0.1', port: gatewayPort, rejectUnauthorized: false });
  await new Promise<void>((resolve, reject) => { socket.once('secureConnect', resolve); socket.once('error', reject); });
  socket.write('RDG_OUT_DATA /remoteDesktopGateway/ HTTP/1.1\r\nHost: bench\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n'
    + 'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
  const packets = serverPackets(socket);
  const expect = async (type: number) => {
    const packet = await packets.next();
    if (packet.readUInt16LE(0) !== type) throw new Error(`expected packet type ${type}, got ${packet.readUInt16LE(0)}`);
    const status = packet.readUInt32LE(type === 5 ? 10 : 8);
    if (status !== 0) throw new Error(`gateway refused with 0x${status.toString(16)}`);
  };
  socket.write(frame(client.handshakeRequest()));
  await expect(2);
  socket.write(frame(client.tunnelCreate(token)));
  await expect(5);
  socket.write(frame(client.tunnelAuth('bench')));
  await expect(7);
  socket.write(frame(client.channelCreate(resource, port)));
  await expect(9);
  const payload = Buffer.alloc(DATA_PAYLOAD, 0x5a);
  for (let sent = 0; sent < bytes; sent += DATA_PAYLOAD) {
    const chunk = bytes - sent >= DATA_PAYLOAD ? payload : payload.subarray(0, bytes - sent);
    if (!socket.write(frame(client.data(chunk)))) await new Promise((resolve) => socket.once('drain', resolve));
  }
  socket.write(frame(client.closeChannel()));
  socket.end();
}

/** A masked client frame with a random key, as FreeRDP sends (so the gateway unmasks real work). */
function frame(packet: Buffer): Buffer {
  const length = packet.length;
  const head = length < 126 ? Buffer.from([0x82, 0x80 | length]) : length < 0x10000 ? Buffer.alloc(4) : Buffer.alloc(10);
  if (length >= 126) {
    head[0] = 0x82;
    head[1] = 0x80 | (length < 0x10000 ? 126 : 127);
    if (length < 0x10000) head.writeUInt16BE(length, 2);
    else head.writeBigUInt64BE(BigInt(length), 2);
  }
  const mask = randomBytes(4);
  const masked = Buffer.allocUnsafeSlow(packet.length);
  packet.copy(masked);
  return Buffer.concat([head, mask, applyMask(masked, mask)]);
}

/** The gateway's packets, from its unmasked frames after the 101 response. */
function serverPackets(socket: TLSSocket): { next(): Promise<Buffer> } {
  let buffer = Buffer.alloc(0);
  let upgraded = false;
  const reader = new PacketReader();
  const ready: Buffer[] = [];
  const waiting: Array<(packet: Buffer) => void> = [];
  socket.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    if (!upgraded) {
      const end = buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      if (!buffer.subarray(0, 12).toString().includes('101')) throw new Error(`no websocket upgrade: ${buffer.toString().split('\r\n')[0]}`);
      upgraded = true;
      buffer = buffer.subarray(end + 4);
    }
    while (buffer.length >= 2) {
      const short = buffer[1] & 0x7f;
      const offset = short === 126 ? 4 : short === 127 ? 10 : 2;
      if (buffer.length < offset) break;
      const length = short === 126 ? buffer.readUInt16BE(2) : short === 127 ? Number(buffer.readBigUInt64BE(2)) : short;
      if (buffer.length < offset + length) break;
      if ((buffer[0] & 0x0f) === 0x2) {
        for (const packet of reader.push(buffer.subarray(offset, offset + length))) {
          const taker = waiting.shift();
          if (taker) taker(packet);
          else ready.push(packet);
        }
      }
      buffer = buffer.subarray(offset + length);
    }
  });
  return {
    next: () => new Promise((resolve, reject) => {
      const packet = ready.shift();
      if (packet) return resolve(packet);
      socket.once('close', () => reject(new Error('the gateway closed the connection')));
      waiting.push(resolve);
    }),
  };
}
