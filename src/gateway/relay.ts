import type { Duplex } from 'node:stream';

export interface RelayResult { bytesUp: number; bytesDown: number; error?: string }

/** Told once, when both sides have closed. */
export interface RelayOwner { relayEnded(result: RelayResult): void }

/** The relay a stream belongs to, kept on the stream so the listeners below are shared, not made per relay. */
const RELAY = Symbol('relay');
type Side = Duplex & { [RELAY]?: Relay };

/**
 * Relays a client channel and an upstream stream (a TCP socket, or a channel of a hop)
 * in both directions, with back-pressure both ways: a slow reader on either side pauses
 * the other, so nothing buffers without bound. An SSH channel's write() reports the
 * back-pressure of its connection's socket too (patches/: a peer that opens a huge window
 * and stops reading its socket pauses the other side like a full window does).
 * Half-close is kept (EOF one way does not end the other, RFC 4254 §5.3), and data
 * already queued is flushed before a side is torn down. A side that closed is never
 * touched again: an ssh2 channel never sets `destroyed`, so its own 'close' is the truth.
 *
 * Idle relays are most of a gateway's memory at scale: state lives in one object, and the
 * listeners are module functions that find it on their stream (`this` of an emitter's
 * listener), instead of a dozen closures and their contexts per relay.
 */
export function relay(channel: Duplex, upstream: Duplex, owner: RelayOwner): Relay {
  return new Relay(channel, upstream, owner);
}

export class Relay {
  bytesUp = 0;
  bytesDown = 0;
  error: string | undefined = undefined;
  private channelClosed = false;
  private upstreamClosed = false;
  private reported = false;
  /** Whether a side is corked until the next tick (see `forward`). */
  private upstreamCorked = false;
  private channelCorked = false;

  constructor(readonly channel: Duplex, readonly upstream: Duplex, private readonly owner: RelayOwner) {
    (channel as Side)[RELAY] = this;
    (upstream as Side)[RELAY] = this;
    channel.on('data', onChannelData);
    upstream.on('data', onUpstreamData);
    channel.on('drain', onChannelDrain);
    upstream.on('drain', onUpstreamDrain);
    channel.on('end', onChannelEnd);
    upstream.on('end', onUpstreamEnd);
    channel.on('error', onChannelError);
    upstream.on('error', onUpstreamError);
    channel.on('close', onChannelClose);
    upstream.on('close', onUpstreamClose);
  }

  /** Ends both sides at once (session killed, gateway stopping, client connection gone). */
  stop(reason?: string): void {
    if (reason) this.error ??= reason;
    if (!this.upstreamClosed) this.upstream.destroy();
    if (!this.channelClosed) this.channel.destroy();
  }

  /**
   * Like `from.pipe(to)`, but the chunks one tick brings (ssh2 emits one per SSH packet, and
   * a TCP read holds several) go out in one write: half the system calls on the data path.
   */
  private forward(from: Duplex, to: Duplex, chunk: Buffer): void {
    if (to.destroyed || to.writableEnded) return;
    if (to === this.upstream) {
      if (!this.upstreamCorked) {
        this.upstreamCorked = true;
        to.cork();
        process.nextTick(uncorkUpstream, this);
      }
    } else if (!this.channelCorked) {
      this.channelCorked = true;
      to.cork();
      process.nextTick(uncorkChannel, this);
    }
    if (!to.write(chunk)) from.pause();
  }

  static uncork(relay: Relay, upstream: boolean): void {
    if (upstream) {
      relay.upstreamCorked = false;
      relay.upstream.uncork();
    } else {
      relay.channelCorked = false;
      relay.channel.uncork();
    }
  }

  static data(side: Side, chunk: Buffer): void {
    const relay = side[RELAY]!;
    if (side === relay.channel) {
      relay.bytesUp += chunk.length;
      relay.forward(side, relay.upstream, chunk);
    } else {
      relay.bytesDown += chunk.length;
      relay.forward(side, relay.channel, chunk);
    }
  }

  static closed(side: Side): void {
    const relay = side[RELAY]!;
    const { channel, upstream } = relay;
    if (side === channel) {
      relay.channelClosed = true;
      // pipe() stops reading a stream whose destination closed, and an ssh2 channel emits
      // 'close' only after its readable side ended: keep draining so it can.
      upstream.resume();
      // Let what the client sent reach the target, then release the socket.
      if (!upstream.destroyed) {
        upstream.end();
        upstream.once('finish', destroyThis);
        setTimeout(destroyStream, 5000, upstream).unref();
      }
    } else {
      relay.upstreamClosed = true;
      channel.resume();
      // A reset target gives no 'end', so end the channel here too (a no-op after the end was passed on).
      if (!relay.channelClosed) channel.end();
    }
    relay.report();
  }

  private report(): void {
    if (this.reported || !this.channelClosed || !this.upstreamClosed) return;
    this.reported = true;
    this.owner.relayEnded({ bytesUp: this.bytesUp, bytesDown: this.bytesDown, error: this.error });
  }
}

/** EOF one way is passed on (half-close), unless that side is gone or ended already. */
function endOther(to: Duplex): void {
  if (!to.destroyed && !to.writableEnded) to.end();
}

function onChannelData(this: Side, chunk: Buffer): void { Relay.data(this, chunk); }
function onUpstreamData(this: Side, chunk: Buffer): void { Relay.data(this, chunk); }
function onChannelDrain(this: Side): void { this[RELAY]!.upstream.resume(); }
function onUpstreamDrain(this: Side): void { this[RELAY]!.channel.resume(); }
function onChannelEnd(this: Side): void { endOther(this[RELAY]!.upstream); }
function onUpstreamEnd(this: Side): void { endOther(this[RELAY]!.channel); }
function onChannelError(this: Side, e: Error): void { const relay = this[RELAY]!; relay.error ??= `client channel: ${e.message}`; }
function onUpstreamError(this: Side, e: Error): void { const relay = this[RELAY]!; relay.error ??= `target: ${e.message}`; }
function onChannelClose(this: Side): void { Relay.closed(this); }
function onUpstreamClose(this: Side): void { Relay.closed(this); }
function uncorkUpstream(relay: Relay): void { Relay.uncork(relay, true); }
function uncorkChannel(relay: Relay): void { Relay.uncork(relay, false); }
function destroyThis(this: Duplex): void { this.destroy(); }
function destroyStream(stream: Duplex): void { stream.destroy(); }
