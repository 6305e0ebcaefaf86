/**
 * A client that stops reading (or vanishes without a FIN) could hold its socket, and the
 * descriptor with it, for ever: when ssh2 ends an SSH connection (keepalive timeout,
 * protocol error, disconnect) it only half-closes the socket, and that FIN may wait behind
 * data the peer never reads, or the peer may never send its own. So a socket is destroyed
 * a short while after our side ended it, and a short while after ssh2 gave up on a
 * silent client: ssh2 pings it every `ssh.keepaliveInterval` and ends the connection after
 * three unanswered pings (as OpenSSH's ClientAliveCountMax), so a live connection never
 * gets there.
 */
import type { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';

/** How long the peer has to close its side after ours ended. */
export const AFTER_END_MS = 5_000;

/** Told of a socket destroyed as abandoned, and why. One function serves every socket. */
export type OnAbandoned = (socket: Socket, why: string) => void;

/**
 * Kept on the socket, so the listeners below are shared functions rather than closures
 * that an idle connection would keep for its whole life.
 */
const ON_ABANDONED = Symbol('onAbandoned');
type Watched = Socket & { [ON_ABANDONED]?: OnAbandoned };

/** Destroys the socket if the peer has not closed its side `AFTER_END_MS` after ours ended. */
export function destroyAfterEnd(socket: Socket, onAbandoned: OnAbandoned): void {
  (socket as Watched)[ON_ABANDONED] = onAbandoned;
  // 'finish' comes once: `on` spares the wrapper `once` would keep for the connection's life.
  socket.on('finish', onFinish);
}

function onFinish(this: Socket): void {
  setTimeout(destroyUnclosed, AFTER_END_MS, this).unref();
}

function destroyUnclosed(socket: Socket): void {
  if (socket.destroyed) return;
  (socket as Watched)[ON_ABANDONED]?.(socket, 'the peer did not close its side after the gateway ended the connection');
  socket.destroy();
}

/**
 * Destroys an authenticated connection's socket `AFTER_END_MS` after ssh2 gave up on its
 * keepalives (three unanswered pings) if it has not closed by then: ssh2 only ends the
 * socket, and a peer that reads nothing never lets that end through. Not before
 * authentication: `ssh.loginGraceTime` bounds that, and a person may take a while to type a
 * password. Watching ssh2's verdict rather than a socket timeout spares every connection a
 * timer of its own, re-armed on each read and write.
 */
export function destroyWhenSilent(client: EventEmitter, socket: Socket, keepaliveMs: number, onAbandoned: OnAbandoned): void {
  if (keepaliveMs <= 0) return;
  (socket as Watched)[ON_ABANDONED] = onAbandoned;
  (client as Pinging)[SOCKET] = socket;
  client.on('error', onClientError);
}

const SOCKET = Symbol('socket');
type Pinging = EventEmitter & { [SOCKET]?: Socket };

function onClientError(this: Pinging, error: Error & { level?: string }): void {
  const socket = this[SOCKET];
  if (error.level === 'client-timeout' && socket) setTimeout(destroySilent, AFTER_END_MS, socket).unref();
}

function destroySilent(socket: Socket): void {
  if (socket.destroyed) return;
  (socket as Watched)[ON_ABANDONED]?.(socket, 'the client answered no keepalive and did not close its side');
  socket.destroy();
}
