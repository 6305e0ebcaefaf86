/**
 * Session recordings in asciicast v2 (the asciinema format): a JSON header line, then one
 * `[seconds, code, data]` line per event (`o` output, `i` input, `r` resize "COLSxROWS").
 * Events are buffered and flushed every second, so a crash loses at most the last second.
 */
import { openSync, writeSync, closeSync, mkdirSync } from 'node:fs';
import path from 'node:path';

export interface RecordingHeader { width: number; height: number; term?: string; title?: string }

export class AsciicastWriter {
  private readonly fd: number;
  private readonly started = process.hrtime.bigint();
  private pending: string[] = [];
  private readonly timer: NodeJS.Timeout;
  private closed = false;
  private readonly decoders = { o: new TextDecoder('utf-8'), i: new TextDecoder('utf-8') };

  /** `copy` gets every piece of text written to the file, in order (the store's copy, recording-copy.ts). */
  constructor(readonly file: string, header: RecordingHeader, private readonly recordInput: boolean, private readonly copy?: (text: string) => void) {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    this.fd = openSync(file, 'wx', 0o600);
    const line = { version: 2, width: header.width, height: header.height, timestamp: Math.floor(Date.now() / 1000), title: header.title, env: { TERM: header.term ?? 'xterm' } };
    const text = JSON.stringify(line) + '\n';
    writeSync(this.fd, text);
    this.copy?.(text);
    this.timer = setInterval(() => this.flush(), 1000);
    this.timer.unref();
  }

  output(data: Buffer): void {
    this.event('o', this.decoders.o.decode(data, { stream: true }));
  }

  input(data: Buffer): void {
    if (this.recordInput) this.event('i', this.decoders.i.decode(data, { stream: true }));
  }

  resize(cols: number, rows: number): void {
    this.event('r', `${cols}x${rows}`);
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    clearInterval(this.timer);
    closeSync(this.fd);
  }

  private event(code: 'o' | 'i' | 'r', data: string): void {
    if (this.closed || data === '') return;
    const seconds = Number(process.hrtime.bigint() - this.started) / 1e9;
    this.pending.push(JSON.stringify([Number(seconds.toFixed(6)), code, data]) + '\n');
  }

  private flush(): void {
    if (this.closed || this.pending.length === 0) return;
    const text = this.pending.join('');
    this.pending = [];
    this.copy?.(text);
    try {
      writeSync(this.fd, text);
    } catch {
      // A full disk must not end the session; the recording is marked incomplete by its end.
    }
  }
}
