/**
 * `ssh.proxyProtocol.trustedProxies` at the socket: a connection from a trusted proxy must
 * begin with a PROXY header, read here before anything else happens to the connection; the
 * client address it carries becomes the socket's address for everything after (admission,
 * bans, source rules, logs, audit). A connection from anywhere else must not carry one.
 */
import type { Socket } from 'node:net';
import { parseProxyHeader, type ProxyHeader } from './proxy-header.js';

/** Reads the header (no more than its bytes: what follows is put back for SSH), or fails after `timeoutMs`. */
export function takeProxyHeader(socket: Socket, timeoutMs: number): Promise<Exclude<ProxyHeader, { kind: 'incomplete' }>> {
  return new Promise((resolve) => {
    let received = Buffer.alloc(0);
    const finish = (result: Exclude<ProxyHeader, { kind: 'incomplete' }>) => {
      clearTimeout(timer);
      socket.removeListener('data', onData);
      socket.removeListener('close', onClose);
      socket.pause();
      if (result.kind !== 'invalid' && received.length > result.length) socket.unshift(received.subarray(result.length));
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const header = parseProxyHeader(received);
      if (header.kind !== 'incomplete') finish(header);
    };
    const onClose = () => finish({ kind: 'invalid', why: 'closed before its PROXY header' });
    const timer = setTimeout(() => finish({ kind: 'invalid', why: 'no PROXY header in time' }), timeoutMs);
    socket.on('data', onData);
    socket.once('close', onClose);
  });
}

/**
 * The client's address from the header replaces the proxy's on this socket. ssh2 and the
 * rest of the gateway read `remoteAddress`/`remotePort`; own properties shadow net.Socket's
 * getters, so every reader sees the client, as with a direct connection.
 */
export function adoptClientAddress(socket: Socket, ip: string, port: number): void {
  Object.defineProperty(socket, 'remoteAddress', { value: ip, configurable: true });
  Object.defineProperty(socket, 'remotePort', { value: port, configurable: true });
  Object.defineProperty(socket, 'remoteFamily', { value: ip.includes(':') ? 'IPv6' : 'IPv4', configurable: true });
}
