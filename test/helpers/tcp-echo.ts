import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import { freePort } from './ports.js';

export interface EchoServer {
  host: string;
  port: number;
  /** Connections accepted so far. */
  connections(): number;
  stop(): Promise<void>;
}

/** A TCP server that writes back every byte it receives. */
export async function startEchoServer(host = '127.0.0.1'): Promise<EchoServer> {
  const port = await freePort(host);
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    accepted += 1;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    socket.pipe(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => resolve());
  });
  return {
    host,
    port,
    connections: () => accepted,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export interface EchoRoundTrip {
  sentSha256: string;
  receivedSha256: string;
  sentBytes: number;
  receivedBytes: number;
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Connects to host:port, sends `payload` (random bytes by default) and reads
 * until as many bytes came back, then closes. It does not rely on half-close,
 * so it works through any relay that forwards bytes both ways.
 */
export function echoRoundTrip(
  host: string,
  port: number,
  payload: Buffer = randomBytes(1024 * 1024),
  timeoutMs = 20_000,
): Promise<EchoRoundTrip> {
  return new Promise((resolve, reject) => {
    const received: Buffer[] = [];
    let receivedBytes = 0;
    const socket = net.connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`echo through ${host}:${port}: got ${receivedBytes} of ${payload.length} bytes within ${timeoutMs} ms`));
    }, timeoutMs);
    const finish = (): void => {
      clearTimeout(timer);
      socket.destroy();
      const data = Buffer.concat(received);
      resolve({
        sentSha256: sha256(payload),
        receivedSha256: sha256(data),
        sentBytes: payload.length,
        receivedBytes: data.length,
      });
    };
    socket.on('connect', () => socket.write(payload));
    socket.on('data', (chunk: Buffer) => {
      received.push(chunk);
      receivedBytes += chunk.length;
      if (receivedBytes >= payload.length) finish();
    });
    socket.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`echo through ${host}:${port}: ${e.message} after ${receivedBytes} bytes`));
    });
    socket.on('close', () => {
      if (receivedBytes < payload.length) {
        clearTimeout(timer);
        reject(new Error(`echo through ${host}:${port}: closed after ${receivedBytes} of ${payload.length} bytes`));
      }
    });
  });
}
