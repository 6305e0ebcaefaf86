/**
 * Relays an accepted client session channel and the target's session channel: stdin,
 * stdout, stderr, EOF both ways, window changes, signals, exit status or exit signal
 * (RFC 4254 §6.5-6.10). It also feeds the recording, the command log and the SFTP audit,
 * and enforces the idle and maximum-duration limits. Both channels' write() report their
 * connection's socket back-pressure (patches/), so pipe() pauses the side that outruns
 * its reader, in both directions.
 */
import type { Duplex, Writable } from 'node:stream';
import type { ClientChannel } from 'ssh2';
import type { AsciicastWriter } from '../recording/asciicast-writer.js';
import type { EndReason } from '../domain/session.js';

/**
 * The taps see each chunk before it is passed on, so a tap that stops the relay keeps that
 * chunk from the other side (a file watcher that fails closed relies on it).
 */
/**
 * The person's side of a proxied session: an SSH session channel, or the web terminal's
 * WebSocket (src/http/terminal) made to look like one. Its write() reports back-pressure.
 */
export interface ClientSide extends Duplex {
  /** Where the gateway's own lines go (refusals, the reason a session ended). */
  stderr: Writable;
  exit(status: number): void;
  exit(signalName: string, coreDumped?: boolean, msg?: string): void;
}

/** Who else sees the session's terminal (watchers, joiners; src/gateway/session-screen.ts). */
export interface ScreenTap {
  output(data: Buffer): void;
  resize(cols: number, rows: number): void;
}

export interface RelayTaps {
  /** Client to target bytes (stdin). */
  input?(data: Buffer): void;
  /** Target to client stdout: the channel's data, where SFTP and scp speak; stderr (RFC 4254 §5.2 extended data) is not shown. */
  output?(data: Buffer): void;
  recording?: AsciicastWriter | null;
  screen?: ScreenTap | null;
}

export interface SessionRelayResult { reason: EndReason; exitStatus: number | null; bytesUp: number; bytesDown: number }

export interface SessionRelay {
  /** Ends the session with a one-line message to the user (killed, idle, limits, shutdown). */
  stop(reason: EndReason, message: string): void;
  resize(cols: number, rows: number, height: number, width: number): void;
  signal(name: string): void;
  /** Input from someone who joined the session: it reaches the target as the user's own keys do. */
  inject(data: Buffer): void;
  done: Promise<SessionRelayResult>;
}

export function relaySession(channel: ClientSide, upstream: ClientChannel, taps: RelayTaps, limits: { idleMs: number; maxMs: number }): SessionRelay {
  let bytesUp = 0;
  let bytesDown = 0;
  let exitStatus: number | null = null;
  let exitSignal: { name: string; coreDumped: boolean; message: string } | null = null;
  let reason: EndReason = 'closed';
  let finished = false;
  let resolveDone!: (result: SessionRelayResult) => void;
  const done = new Promise<SessionRelayResult>((resolve) => { resolveDone = resolve; });

  let idleTimer: NodeJS.Timeout | null = null;
  const touch = () => {
    if (idleTimer) idleTimer.refresh();
  };
  if (limits.idleMs > 0) idleTimer = setTimeout(() => stop('idle', `jumpgate: session idle for longer than ${Math.round(limits.idleMs / 1000)}s; closing`), limits.idleMs);
  const maxTimer = limits.maxMs > 0 ? setTimeout(() => stop('max_duration', 'jumpgate: session reached its maximum duration; closing'), limits.maxMs) : null;

  channel.on('data', (data: Buffer) => {
    bytesUp += data.length;
    touch();
    taps.input?.(data);
    taps.recording?.input(data);
  });
  const onOutput = (data: Buffer) => {
    bytesDown += data.length;
    touch();
    taps.recording?.output(data);
    taps.screen?.output(data);
  };
  upstream.on('data', (data: Buffer) => {
    onOutput(data);
    taps.output?.(data);
  });
  upstream.stderr.on('data', onOutput);

  channel.pipe(upstream);
  upstream.pipe(channel, { end: false });
  upstream.stderr.pipe(channel.stderr, { end: false });

  upstream.on('exit', (code: number | null, signal?: string, coreDumped?: boolean, message?: string) => {
    if (code !== null && code !== undefined) exitStatus = code;
    else if (signal) exitSignal = { name: signal, coreDumped: Boolean(coreDumped), message: message ?? '' };
  });
  channel.on('error', () => {});
  upstream.on('error', () => {});

  const finish = () => {
    if (finished) return;
    finished = true;
    if (idleTimer) clearTimeout(idleTimer);
    if (maxTimer) clearTimeout(maxTimer);
    taps.recording?.close();
    resolveDone({ reason, exitStatus, bytesUp, bytesDown });
  };

  // An ssh2 channel never sets `destroyed`: its own 'close' says it is gone (the client
  // left, or its connection died), after which it is not touched again.
  let channelClosed = false;
  upstream.on('close', () => {
    if (!channelClosed) {
      if (exitSignal) channel.exit(exitSignal.name, exitSignal.coreDumped, exitSignal.message);
      else if (exitStatus !== null) channel.exit(exitStatus);
      channel.end();
    }
    finish();
  });
  channel.on('close', () => {
    channelClosed = true;
    upstream.close();
    finish();
  });

  let stopping = false;
  function stop(why: EndReason, message: string): void {
    // Once: a kill asked again (the poll repeats it) while the session winds down changes nothing.
    if (finished || stopping) return;
    stopping = true;
    reason = why;
    if (!channelClosed) {
      channel.stderr.write(`\r\n${message}\r\n`);
      channel.exit(255);
      channel.end();
    }
    upstream.close();
    setTimeout(() => {
      if (!channelClosed) channel.destroy();
      finish();
    }, 2000).unref();
  }

  return {
    stop,
    resize: (cols, rows, height, width) => {
      upstream.setWindow(rows, cols, height, width);
      taps.recording?.resize(cols, rows);
      taps.screen?.resize(cols, rows);
    },
    signal: (name) => upstream.signal(name),
    inject: (data) => {
      if (finished) return;
      bytesUp += data.length;
      touch();
      taps.recording?.input(data);
      upstream.write(data);
    },
    done,
  };
}
