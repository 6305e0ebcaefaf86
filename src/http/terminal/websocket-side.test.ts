import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import WebSocket, { WebSocketServer } from 'ws';
import { SEND_HIGH_WATER_BYTES, WebSocketSide } from './websocket-side.js';

/** A WebSocket server on loopback and one client connected to it: `socket` is the server's end. */
async function connectedPair(): Promise<{ server: WebSocketServer; client: WebSocket; socket: WebSocket }> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(server, 'listening');
  const accepted = once(server, 'connection') as Promise<[WebSocket]>;
  const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
  await once(client, 'open');
  const [socket] = await accepted;
  return { server, client, socket };
}

describe('WebSocketSide: the web terminal\'s WebSocket as the relay\'s client side', () => {
  test('a browser that does not read makes write() report back-pressure: the gateway holds a bounded amount', { timeout: 30_000 }, async () => {
    const { server, client, socket } = await connectedPair();
    // The browser stops reading: nothing more leaves the kernel's buffers.
    (client as unknown as { _socket: { pause(): void } })._socket.pause();
    const side = new WebSocketSide(socket);
    const chunk = Buffer.alloc(32 * 1024, 'o');
    let written = 0;
    let refused = false;
    for (let i = 0; i < 4096 && !refused; i++) {
      refused = !side.write(chunk);
      written += chunk.length;
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.ok(refused, 'write() said stop');
    // What the gateway holds: the stream's buffer and the WebSocket's unsent bytes.
    const held = side.writableLength + socket.bufferedAmount;
    assert.ok(held <= SEND_HIGH_WATER_BYTES + side.writableHighWaterMark + 2 * chunk.length, `held ${held} of ${written}`);
    client.terminate();
    side.destroy();
    server.close();
  });

  test('binary frames are input, JSON text frames are controls, and the end says why', { timeout: 30_000 }, async () => {
    const { server, client, socket } = await connectedPair();
    const side = new WebSocketSide(socket);
    const controls: unknown[] = [];
    side.onControl((message) => controls.push(message));
    const heard: string[] = [];
    client.on('message', (data: Buffer, binary: boolean) => heard.push(binary ? `bin:${data.toString()}` : data.toString()));
    client.send(Buffer.from('ls\n'));
    client.send(JSON.stringify({ type: 'resize', cols: 100, rows: 30 }));
    client.send('not json');
    const [input] = await once(side, 'data') as [Buffer];
    assert.equal(input.toString(), 'ls\n');
    side.write('out');
    side.stderr.write('err');
    side.finish({ reason: 'killed', exitStatus: 255 });
    await once(client, 'close');
    assert.deepEqual(controls, [{ type: 'resize', cols: 100, rows: 30 }]);
    assert.deepEqual(heard, ['bin:out', 'bin:err', JSON.stringify({ type: 'end', reason: 'killed', exitStatus: 255 })]);
    server.close();
  });
});
