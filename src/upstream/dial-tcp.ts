import { connect, type Socket } from 'node:net';
import { formatDuration } from '../config/duration.js';
import { dialAddressFor, type Lookup } from './dial-address.js';

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

export interface DialCheck {
  /** The gateway's own addresses: refused unless the target names them literally. */
  ownAddresses: ReadonlySet<string>;
  lookup?: Lookup;
}

/**
 * Opens a TCP connection from the gateway itself to `host`, looked up once and checked
 * (dial-address.ts), failing with a DialError after `timeoutMs` (the lookup included).
 * The error names `host:port` as the target writes it.
 */
export function dialTcp(host: string, port: number, timeoutMs: number, check: DialCheck): Promise<Socket> {
  const shown = formatHostPort(host, port);
  return new Promise((resolve, reject) => {
    let socket: Socket | null = null;
    let settled = false;
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket?.destroy();
      reject(new DialError(shown, why));
    };
    const timer = setTimeout(() => fail(describeDialFailure(null, timeoutMs)), timeoutMs);
    const open = (address: string) => {
      const opened = connect({ host: address, port });
      socket = opened;
      opened.setNoDelay(true);
      const onError = (error: NodeJS.ErrnoException) => fail(describeDialFailure(error, timeoutMs));
      opened.once('error', onError);
      opened.once('connect', () => {
        opened.removeListener('error', onError);
        if (settled) return void opened.destroy();
        settled = true;
        clearTimeout(timer);
        resolve(opened);
      });
    };
    dialAddressFor(host, check.ownAddresses, check.lookup).then((checked) => {
      if (settled) return;
      if (!checked.ok) return fail(checked.why);
      try {
        open(checked.address);
      } catch (error) {
        // net.connect throws at once for what it cannot even try (a port out of range).
        fail((error as Error).message);
      }
    }, (error: NodeJS.ErrnoException) => fail(describeDialFailure(error, timeoutMs)));
  });
}
