/**
 * A WebSocket of the web terminal made to look like an SSH session channel to the proxied
 * session's relay (session-relay.ts `ClientSide`): binary frames from the browser are the
 * person's keys, what the target prints goes back as binary frames, and JSON text frames
 * carry the rest (resize, the TOTP code; docs/web-terminal.md).
 *
 * Back-pressure: a write completes at once while the WebSocket's send buffer holds less than
 * SEND_HIGH_WATER_BYTES, otherwise only once `ws` has handed the frame to the socket, so the
 * relay's pipe() pauses the target's channel while the browser is slow. Input the relay has
 * not taken pauses the WebSocket (no read from the TCP socket).
 */
import { Duplex, Writable } from 'node:stream';
import WebSocket from 'ws';
import type { ClientSide } from '../../gateway/session-relay.js';

export const SEND_HIGH_WATER_BYTES = 256 * 1024;

export class WebSocketSide extends Duplex implements ClientSide {
  readonly stderr: Writable;
  exitStatus: number | null = null;
  /** The relay ended its side: no more input is taken. */
  private inputEnded = false;
  private controlHandler: (message: Record<string, unknown>) => void = () => {};

  constructor(private readonly socket: WebSocket) {
    super({ allowHalfOpen: true });
    this.stderr = new Writable({ write: (chunk: Buffer, _encoding, callback) => this.send(chunk, callback) });
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) {
        if (!this.inputEnded && !this.push(data)) socket.pause();
        return;
      }
      const message = parseControl(data);
      if (message) this.controlHandler(message);
    });
    socket.on('close', () => {
      this.endInput();
      this.destroy();
    });
    socket.on('error', () => socket.terminate());
  }

  /** JSON text frames from the page: `{type: 'resize', cols, rows}`, `{type: 'totp', code}`. */
  onControl(handler: (message: Record<string, unknown>) => void): void {
    this.controlHandler = handler;
  }

  /** Sends a JSON text frame to the page (`totp`, `size`, `end`). */
  tell(message: Record<string, unknown>): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  /** Says why the session ended, then closes the WebSocket. */
  finish(end: { reason: string; exitStatus?: number | null }): void {
    this.tell({ type: 'end', ...end });
    if (this.socket.readyState === WebSocket.OPEN) this.socket.close(1000, end.reason.slice(0, 100));
  }

  /** Closes the WebSocket at once (the gateway failed). */
  abort(): void {
    this.socket.terminate();
  }

  exit(status: number | string): void {
    if (typeof status === 'number') this.exitStatus = status;
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.send(chunk, callback);
  }

  // The relay ends its side when the session is over (the target closed, a kill, a limit):
  // input ends with it, as an SSH channel's close ends both ways, so the relay sees this side
  // close. The WebSocket stays open for `finish` to say why.
  override _final(callback: (error?: Error | null) => void): void {
    this.endInput();
    callback();
  }

  private endInput(): void {
    if (this.inputEnded) return;
    this.inputEnded = true;
    this.push(null);
    this.socket.resume();
  }

  private send(chunk: Buffer, callback: (error?: Error | null) => void): void {
    if (this.socket.readyState !== WebSocket.OPEN) return callback();
    let called = false;
    const done = () => {
      if (called) return;
      called = true;
      callback();
    };
    this.socket.send(chunk, { binary: true }, done);
    if (this.socket.bufferedAmount < SEND_HIGH_WATER_BYTES) done();
  }
}

function parseControl(data: Buffer): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(data.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? value as Record<string, unknown> : null;
  } catch {
    return null;
  }
}
