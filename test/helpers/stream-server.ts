import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import { freePort } from './ports.js';

export interface StreamServer {
  host: string;
  port: number;
  /** SHA-256 (hex) of what each connection is sent, when `bytes` was given. */
  sha256: string | null;
  /** Connections accepted so far. */
  connections(): number;
  /** Bytes written so far, over every connection. */
  sentBytes(): number;
  stop(): Promise<void>;
}

const BLOCK = 64 * 1024;

/**
 * A TCP server that sends each connection `bytes` bytes (then ends it), or an endless
 * stream without `bytes`: a fixed random 64 KiB block, repeated, written with
 * back-pressure (it waits for 'drain'), so the server itself never buffers much.
 */
export async function startStreamServer(options: { bytes?: number; host?: string } = {}): Promise<StreamServer> {
  const host = options.host ?? '127.0.0.1';
  const port = await freePort(host);
  const block = randomBytes(BLOCK);
  const total = options.bytes;
  let sha256: string | null = null;
  if (total !== undefined) {
    const hash = createHash('sha256');
    for (let sent = 0; sent < total; sent += BLOCK) hash.update(block.subarray(0, Math.min(BLOCK, total - sent)));
    sha256 = hash.digest('hex');
  }
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  let sentTotal = 0;
  const server = net.createServer((socket) => {
    accepted += 1;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    socket.resume(); // whatever the client sends is dropped
    let sent = 0;
    const pump = (): void => {
      while (!socket.destroyed) {
        if (total !== undefined && sent >= total) {
          socket.end();
          return;
        }
        const chunk = total === undefined ? block : block.subarray(0, Math.min(BLOCK, total - sent));
        sent += chunk.length;
        sentTotal += chunk.length;
        if (!socket.write(chunk)) {
          socket.once('drain', pump);
          return;
        }
      }
    };
    pump();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => resolve());
  });
  return {
    host,
    port,
    sha256,
    connections: () => accepted,
    sentBytes: () => sentTotal,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Reads from `socket` until at least `bytes` arrived (data is counted, not kept). */
export function readAtLeast(socket: NodeJS.ReadableStream & { destroy(): void }, bytes: number, timeoutMs = 20_000): Promise<number> {
  return new Promise((resolve, reject) => {
    let received = 0;
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`got ${received} of ${bytes} bytes within ${timeoutMs} ms`));
    }, timeoutMs);
    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      if (received >= bytes) {
        cleanup();
        resolve(received);
      }
    };
    const onEnd = (): void => {
      cleanup();
      reject(new Error(`the stream ended after ${received} of ${bytes} bytes`));
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.removeListener('data', onData);
      socket.removeListener('end', onEnd);
      socket.removeListener('close', onEnd);
    };
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('close', onEnd);
    socket.resume();
  });
}
