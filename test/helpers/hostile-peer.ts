/**
 * What hostile or careless SSH peers do, for the tests that must survive them: an ssh2
 * client over a socket the test holds (so it can stop reading), a channel window of
 * 2^32-1 granted at once, SIGKILL of a client and its children, the gateway's RSS.
 */
import fs from 'node:fs';
import net from 'node:net';
import ssh2, { type Channel, type ClientChannel, type Connection } from 'ssh2';
import type { TrackedProcess } from './processes.js';

/** The resident memory of a process, in bytes (VmRSS of /proc/PID/status). */
export function rssOf(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+) kB/m.exec(status);
  if (!kb) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(kb[1]) * 1024;
}

/** Connects an ssh2 client over a socket the test holds (from `localAddress` when given), so it can stop reading it. */
export async function rawClient(port: number, username: string, privateKey: Buffer, localAddress?: string): Promise<{ client: ssh2.Client; sock: net.Socket }> {
  const sock = net.connect({ host: '127.0.0.1', port, ...(localAddress ? { localAddress } : {}) });
  await new Promise<void>((resolve, reject) => {
    sock.once('connect', () => resolve());
    sock.once('error', reject);
  });
  const client = new ssh2.Client();
  client.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    client.once('ready', () => resolve());
    client.once('error', reject);
    client.connect({ sock, username, privateKey, readyTimeout: 20_000 });
  });
  return { client, sock };
}

/**
 * What a hostile peer does: grant the other side a window of 2^32-1 bytes on `channel`
 * (ssh2 has no API for it, so its protocol object is used directly) and stop reading.
 */
export function openHugeWindow(connection: ssh2.Client | Connection, channel: Channel): void {
  const internals = channel as unknown as { incoming: { window: number }; outgoing: { id: number } };
  const amount = 2 ** 32 - 1 - internals.incoming.window;
  internals.incoming.window += amount;
  (connection as unknown as { _protocol: { channelWindowAdjust(id: number, amount: number): void } })._protocol.channelWindowAdjust(internals.outgoing.id, amount);
}

export function forwardOut(client: ssh2.Client, host: string, port: number): Promise<ClientChannel> {
  return new Promise((resolve, reject) => client.forwardOut('127.0.0.1', 0, host, port, (error, channel) => (error ? reject(error) : resolve(channel))));
}

export function exec(client: ssh2.Client, command: string): Promise<ClientChannel> {
  return new Promise((resolve, reject) => client.exec(command, (error, channel) => (error ? reject(error) : resolve(channel))));
}

/** SIGKILL to the client and everything it started (ssh -J runs a second ssh). */
export async function vanish(proc: TrackedProcess): Promise<void> {
  try {
    process.kill(-proc.pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
  await proc.exited;
}
