/**
 * An SFTP client that writes whatever packets a test gives it: an ssh2 connection to the
 * gateway, its `sftp` subsystem channel, and the raw bytes both ways. For the clients no
 * real sftp would be.
 */
import fs from 'node:fs';
import net from 'node:net';
import ssh2 from 'ssh2';
import { splitPackets } from './sftp-wire.js';

export interface RawSftp {
  /** The client's port, as the gateway's events name it in `src`. */
  localPort: number;
  send(bytes: Buffer): void;
  /** Every reply packet so far. */
  replies(): Array<{ type: number; body: Buffer }>;
  /** Resolves with the first reply of this type (and id, when given). */
  reply(type: number, id?: number, timeoutMs?: number): Promise<Buffer>;
  stderr(): string;
  /** Resolves when the channel closes, with the exit status the gateway sent. */
  readonly closed: Promise<{ exitStatus: number | null }>;
  /** Ends the connection. */
  end(): void;
}

export async function openRawSftp(options: { port: number; username: string; privateKeyPath: string }): Promise<RawSftp> {
  const client = new ssh2.Client();
  client.on('error', () => {});
  const sock = net.connect({ host: '127.0.0.1', port: options.port });
  await new Promise<void>((resolve, reject) => {
    sock.once('connect', resolve);
    sock.once('error', reject);
  });
  const localPort = sock.localPort ?? 0;
  await new Promise<void>((resolve, reject) => {
    client.once('ready', () => resolve());
    client.once('error', reject);
    client.connect({ sock, username: options.username, privateKey: fs.readFileSync(options.privateKeyPath), readyTimeout: 20_000 });
  });
  const stream = await new Promise<ssh2.ClientChannel>((resolve, reject) => client.subsys('sftp', (error, channel) => (error ? reject(error) : resolve(channel))));
  let received = Buffer.alloc(0);
  let errors = '';
  let exitStatus: number | null = null;
  const listeners = new Set<() => void>();
  stream.on('data', (data: Buffer) => {
    received = Buffer.concat([received, data]);
    for (const listener of listeners) listener();
  });
  stream.stderr.on('data', (data: Buffer) => { errors += data.toString(); });
  stream.on('exit', (code: number | null) => { exitStatus = code; });
  stream.on('error', () => {});
  let isClosed = false;
  const closed = new Promise<{ exitStatus: number | null }>((resolve) => stream.on('close', () => {
    isClosed = true;
    for (const listener of listeners) listener();
    resolve({ exitStatus });
  }));

  const replies = () => splitPackets(received);
  return {
    localPort,
    send: (bytes) => { stream.write(bytes); },
    replies,
    reply: (type, id, timeoutMs = 10_000) => new Promise<Buffer>((resolve, reject) => {
      const find = () => replies().find((p) => p.type === type && (id === undefined || p.body.readUInt32BE(0) === id));
      const check = () => {
        const found = find();
        if (found) { done(); resolve(found.body); } else if (isClosed) { done(); reject(new Error(`the channel closed before a reply of type ${type}${id === undefined ? '' : ` for id ${id}`}; stderr: ${errors}`)); }
      };
      const timer = setTimeout(() => { done(); reject(new Error(`no reply of type ${type} within ${timeoutMs} ms; stderr: ${errors}`)); }, timeoutMs);
      const done = () => { clearTimeout(timer); listeners.delete(check); };
      listeners.add(check);
      check();
    }),
    stderr: () => errors,
    closed,
    end: () => client.end(),
  };
}
