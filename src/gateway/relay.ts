import type { Duplex } from 'node:stream';

export interface RelayResult { bytesUp: number; bytesDown: number; error?: string }

/**
 * Relays a client channel and an upstream stream (a TCP socket, or a channel of a hop)
 * in both directions, with back-pressure both ways: a slow reader on either side pauses
 * the other, so nothing buffers without bound. An SSH channel's write() reports the
 * back-pressure of its connection's socket too (patches/: a peer that opens a huge window
 * and stops reading its socket pauses the other side like a full window does).
 * Half-close is kept (EOF one way does not end the other, RFC 4254 §5.3), and data
 * already queued is flushed before a side is torn down. A side that closed is never
 * touched again: an ssh2 channel never sets `destroyed`, so its own 'close' is the truth.
 */
export function relay(channel: Duplex, upstream: Duplex, onDone: (result: RelayResult) => void): (reason?: string) => void {
  let channelClosed = false;
  let upstreamClosed = false;
  let error: string | undefined;
  let reported = false;
  let bytesUp = 0;
  let bytesDown = 0;
  channel.on('data', (chunk: Buffer) => { bytesUp += chunk.length; });
  upstream.on('data', (chunk: Buffer) => { bytesDown += chunk.length; });

  const report = () => {
    if (reported || !channelClosed || !upstreamClosed) return;
    reported = true;
    onDone({ bytesUp, bytesDown, error });
  };

  pump(channel, upstream);
  pump(upstream, channel);

  channel.on('error', (e: Error) => { error ??= `client channel: ${e.message}`; });
  upstream.on('error', (e: Error) => { error ??= `target: ${e.message}`; });
  channel.on('close', () => {
    channelClosed = true;
    // pipe() stops reading a stream whose destination closed, and an ssh2 channel emits
    // 'close' only after its readable side ended: keep draining so it can.
    upstream.resume();
    // Let what the client sent reach the target, then release the socket.
    if (!upstream.destroyed) {
      upstream.end();
      upstream.once('finish', () => upstream.destroy());
      setTimeout(() => upstream.destroy(), 5000).unref();
    }
    report();
  });
  upstream.on('close', () => {
    upstreamClosed = true;
    channel.resume();
    // A reset target gives no 'end', so end the channel here too (a no-op after pipe did).
    if (!channelClosed) channel.end();
    report();
  });

  /** Ends both sides at once (session killed, gateway stopping, client connection gone). */
  return (reason?: string) => {
    if (reason) error ??= reason;
    if (!upstreamClosed) upstream.destroy();
    if (!channelClosed) channel.destroy();
  };
}

/**
 * Like `from.pipe(to)`, but the chunks one tick brings (ssh2 emits one per SSH packet, and
 * a TCP read holds several) go out in one write: half the system calls on the data path.
 */
export function pump(from: Duplex, to: Duplex): void {
  let corked = false;
  const uncork = () => {
    corked = false;
    to.uncork();
  };
  from.on('data', (chunk: Buffer) => {
    if (to.destroyed || to.writableEnded) return;
    if (!corked) {
      corked = true;
      to.cork();
      process.nextTick(uncork);
    }
    if (!to.write(chunk)) from.pause();
  });
  to.on('drain', () => from.resume());
  from.on('end', () => { if (!to.destroyed && !to.writableEnded) to.end(); });
}
