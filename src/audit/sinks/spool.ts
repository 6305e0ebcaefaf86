/**
 * A durable, bounded, ordered queue of events for one sink: an append-only file plus a
 * cursor file holding how far delivery got. Only the gateway process appends (from the
 * store, in chain order) and delivers, so appends and compaction never race.
 */
import { appendFileSync, existsSync, mkdirSync, openSync, readSync, closeSync, readFileSync, renameSync, statSync, writeFileSync, truncateSync } from 'node:fs';
import path from 'node:path';

export interface SpoolEntry { line: string; end: number }

export class Spool {
  private readonly dataFile: string;
  private readonly cursorFile: string;

  constructor(readonly dir: string, private readonly maxBytes: number) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.dataFile = path.join(dir, 'events.jsonl');
    this.cursorFile = path.join(dir, 'cursor');
  }

  /** False when the spool is full: the event is then only in the audit log and the store. */
  append(line: string): boolean {
    if (this.sizeOnDisk() - this.cursor() + line.length + 1 > this.maxBytes) return false;
    appendFileSync(this.dataFile, line + '\n', { mode: 0o600 });
    return true;
  }

  /** Bytes waiting for delivery. */
  depthBytes(): number {
    return Math.max(0, this.sizeOnDisk() - this.cursor());
  }

  /** Fill ratio of the bound, 0 to 1. */
  fill(): number {
    return this.depthBytes() / this.maxBytes;
  }

  /** Up to `limit` whole lines from the cursor on. */
  peek(limit: number): SpoolEntry[] {
    const start = this.cursor();
    const size = this.sizeOnDisk();
    if (size <= start) return [];
    const length = Math.min(size - start, 1024 * 1024);
    const buffer = Buffer.alloc(length);
    const fd = openSync(this.dataFile, 'r');
    try {
      readSync(fd, buffer, 0, length, start);
    } finally {
      closeSync(fd);
    }
    const entries: SpoolEntry[] = [];
    let offset = 0;
    while (entries.length < limit) {
      const newline = buffer.indexOf(0x0a, offset);
      if (newline === -1) break;
      entries.push({ line: buffer.subarray(offset, newline).toString('utf8'), end: start + newline + 1 });
      offset = newline + 1;
    }
    return entries;
  }

  /** Marks everything before `end` delivered (atomically, so a crash never loses the mark). */
  ack(end: number): void {
    const temporary = `${this.cursorFile}.new`;
    writeFileSync(temporary, String(end), { mode: 0o600 });
    renameSync(temporary, this.cursorFile);
  }

  /** Empties the file once everything in it is delivered. */
  compactIfDelivered(): void {
    const size = this.sizeOnDisk();
    if (size > 0 && this.cursor() >= size) {
      truncateSync(this.dataFile, 0);
      writeFileSync(this.cursorFile, '0', { mode: 0o600 });
    }
  }

  private cursor(): number {
    if (!existsSync(this.cursorFile)) return 0;
    const value = Number(readFileSync(this.cursorFile, 'utf8'));
    return Number.isFinite(value) ? value : 0;
  }

  private sizeOnDisk(): number {
    return existsSync(this.dataFile) ? statSync(this.dataFile).size : 0;
  }
}
