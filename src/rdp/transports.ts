/**
 * The two HTTP transports of MS-TSGU (§2.1): one upgraded websocket that carries packets
 * both ways in binary frames, and the legacy pair, where the client sends its packets as
 * the chunked body of an endless RDG_IN_DATA request and reads the gateway's as the body
 * of an endless RDG_OUT_DATA response.
 */
import type { Socket } from 'node:net';
import { ChunkedDecoder } from './chunked-body.js';
import { FrameDecoder, WebsocketError, binaryFrame, closeFrame, pongFrame } from './websocket-frames.js';
import type { TunnelTransport } from './tunnel-session.js';

/** What a transport tells the tunnel: bytes of the packet stream, or that the client is gone. */
export interface TunnelInput {
  receive(bytes: Buffer): void;
  clientGone(error?: string): void;
}

/** What may wait unread in a client socket before the gateway stops answering its pings. */
const MAX_UNREAD_BYTES = 1024 * 1024;

export class WebsocketTransport implements TunnelTransport {
  private readonly decoder = new FrameDecoder();
  private closeSent = false;

  constructor(private readonly socket: Socket) {}

  /** Starts reading frames; `initial` is what arrived after the upgrade request. */
  attach(input: TunnelInput, initial: Buffer): void {
    const onBytes = (bytes: Buffer) => {
      try {
        for (const event of this.decoder.push(bytes)) {
          if (event.kind === 'data') input.receive(event.bytes);
          else if (event.kind === 'ping') {
            // A client that sends pings and reads nothing would make the pongs pile up.
            if (this.socket.writableLength > MAX_UNREAD_BYTES) return input.clientGone('the client does not read what the gateway sends');
            this.socket.write(pongFrame(event.payload));
          }
          else if (event.kind === 'close') {
            this.sendClose(1000);
            input.clientGone();
          }
        }
      } catch (error) {
        if (!(error instanceof WebsocketError)) throw error;
        this.sendClose(error.closeCode);
        input.clientGone(error.message);
      }
    };
    this.socket.on('data', onBytes);
    this.socket.on('close', () => input.clientGone());
    this.socket.on('error', (error: Error) => input.clientGone(error.message));
    if (initial.length > 0) onBytes(initial);
  }

  send(packet: Buffer): boolean {
    if (this.socket.destroyed || this.socket.writableEnded) return true;
    return this.socket.write(binaryFrame(packet));
  }

  onDrain(listener: () => void): void {
    this.socket.on('drain', listener);
  }

  pauseInput(): void { this.socket.pause(); }
  resumeInput(): void { this.socket.resume(); }

  end(): void {
    this.sendClose(1000);
    if (!this.socket.destroyed) this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  private sendClose(code: number): void {
    if (this.closeSent || this.socket.destroyed || this.socket.writableEnded) return;
    this.closeSent = true;
    this.socket.write(closeFrame(code));
  }
}

export class LegacyTransport implements TunnelTransport {
  constructor(private readonly out: Socket, private readonly inbound: Socket) {}

  /** Reads the chunked body of the RDG_IN_DATA request; `initial` is what arrived after its head. */
  attach(input: TunnelInput, initial: Buffer): void {
    const decoder = new ChunkedDecoder();
    const onBytes = (bytes: Buffer) => {
      try {
        const { data, ended } = decoder.push(bytes);
        for (const piece of data) input.receive(piece);
        if (ended) input.clientGone();
      } catch (error) {
        input.clientGone((error as Error).message);
      }
    };
    this.inbound.on('data', onBytes);
    for (const socket of [this.out, this.inbound]) {
      socket.on('close', () => input.clientGone());
      socket.on('error', (error: Error) => input.clientGone(error.message));
    }
    if (initial.length > 0) onBytes(initial);
  }

  send(packet: Buffer): boolean {
    if (this.out.destroyed || this.out.writableEnded) return true;
    return this.out.write(packet);
  }

  onDrain(listener: () => void): void {
    this.out.on('drain', listener);
  }

  pauseInput(): void { this.inbound.pause(); }
  resumeInput(): void { this.inbound.resume(); }

  end(): void {
    for (const socket of [this.out, this.inbound]) if (!socket.destroyed) socket.end();
  }

  destroy(): void {
    this.out.destroy();
    this.inbound.destroy();
  }
}
