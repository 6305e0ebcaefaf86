/**
 * Many ProxyJump-shaped sessions from one process, built on ssh2 (an OpenSSH client per
 * session would cost more memory than what is measured): connect, authenticate, open a
 * direct-tcpip channel to the sink, and hold it or close it.
 */
import { readFileSync } from 'node:fs';
import ssh2, { type Client, type ParsedKey, type PublicKeyAuthMethod } from 'ssh2';

export interface Endpoint { port: number; username: string; key: string; destination: { host: string; port: number } }

export interface HeldSession { client: Client }

export function openSession(endpoint: Endpoint, key: ParsedKey, timeoutMs = 30_000, kex = 'curve25519-sha256'): Promise<HeldSession> {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    const timer = setTimeout(() => { client.end(); reject(new Error('timed out')); }, timeoutMs);
    client.on('error', (error) => { clearTimeout(timer); reject(error); });
    client.on('ready', () => {
      client.forwardOut('127.0.0.1', 0, endpoint.destination.host, endpoint.destination.port, (error, stream) => {
        clearTimeout(timer);
        if (error) { client.end(); return reject(error); }
        stream.on('error', () => {});
        resolve({ client });
      });
    });
    client.connect({
      host: '127.0.0.1', port: endpoint.port, username: endpoint.username,
      // A parsed key: given as `privateKey`, ssh2 would parse it again at every connection.
      authHandler: [publicKeyAuth(endpoint.username, key)],
      algorithms: { kex: [kex], cipher: ['aes128-gcm@openssh.com'] } as never,
      readyTimeout: timeoutMs, keepaliveInterval: 0,
    });
  });
}

export function publicKeyAuth(username: string, key: ParsedKey): PublicKeyAuthMethod {
  return { type: 'publickey', username, key };
}

/**
 * The client key, parsed once: parsing an OpenSSH private key and building its key object
 * costs ~0.36 ms, about a fifth of what a handshake costs the load generator, which shares
 * the machine's cores with the gateway it measures.
 */
export function readKey(file: string): ParsedKey {
  const key = ssh2.utils.parseKey(readFileSync(file));
  if (key instanceof Error) throw key;
  return key;
}

/** Opens `count` sessions, `concurrency` at a time; reports progress. */
export async function openMany(endpoint: Endpoint, count: number, concurrency: number, progress: (done: number) => void): Promise<{ held: HeldSession[]; errors: number }> {
  const key = readKey(endpoint.key);
  const held: HeldSession[] = [];
  let next = 0;
  let errors = 0;
  const worker = async () => {
    while (next < count) {
      next += 1;
      try {
        held.push(await openSession(endpoint, key));
      } catch {
        errors += 1;
      }
      if ((held.length + errors) % 250 === 0) progress(held.length + errors);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { held, errors };
}

export function closeAll(held: HeldSession[]): void {
  for (const session of held) session.client.end();
}
