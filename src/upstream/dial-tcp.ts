import { connect, type Socket } from 'node:net';
import { formatDuration } from '../config/duration.js';

export class DialError extends Error {
  constructor(readonly address: string, readonly why: string) {
    super(`${address} ${why}`);
  }
}

/** Why a TCP dial failed, in the words of SPEC §7 (`connection refused`, `timed out after 10s`). */
export function describeDialFailure(error: NodeJS.ErrnoException | null, timeoutMs: number): string {
  switch (error?.code) {
    case undefined: return `timed out after ${formatDuration(timeoutMs)}`;
    case 'ECONNREFUSED': return 'connection refused';
    case 'EHOSTUNREACH': return 'host unreachable';
    case 'ENETUNREACH': return 'network unreachable';
    case 'ENOTFOUND': case 'EAI_AGAIN': return 'name not found';
    case 'ECONNRESET': return 'connection reset';
    default: return error?.message ?? 'failed';
  }
}

export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Opens a TCP connection, failing with a DialError after `timeoutMs`. */
export function dialTcp(host: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    socket.setNoDelay(true);
    const fail = (error: NodeJS.ErrnoException | null) => {
      clearTimeout(timer);
      socket.destroy();
      reject(new DialError(formatHostPort(host, port), describeDialFailure(error, timeoutMs)));
    };
    const timer = setTimeout(() => fail(null), timeoutMs);
    socket.once('error', fail);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeListener('error', fail);
      resolve(socket);
    });
  });
}
