/**
 * A durable, bounded, ordered queue of events for one sink: an append-only file plus a
 * cursor file holding how far delivery got. Only the gateway process appends (from the
 * store, in chain order) and delivers, so appends and compaction never race, and the file's
 * size and the cursor are read from disk once and then kept in memory (no stat or cursor
 * read per event on the audit path).
 */
import { existsSync, mkdirSync, openSync, readSync, closeSync, readFileSync, statSync, writeFileSync, writeSync, truncateSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** The size past which a delivered spool file is emptied. */
const COMPACT_AT = 1024 * 1024;

export interface SpoolEntry { line: string; end: number }

export class Spool {
  private readonly dataFile: string;
  private readonly cursorFile: string;
  /** The data file's size in bytes. */
  private size: number;
  /** Where delivery got to in the data file (the cursor file's content). */
  private cursor: number;
  /** The data file, open for appending (not reopened per event). */
  private appendFd: number | null = null;

  constructor(readonly dir: string, private readonly maxBytes: number) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.dataFile = path.join(dir, 'events.jsonl');
    this.cursorFile = path.join(dir, 'cursor');
    this.size = existsSync(this.dataFile) ? statSync(this.dataFile).size : 0;
    const stored = existsSync(this.cursorFile) ? Number(readFileSync(this.cursorFile, 'utf8')) : 0;
    this.cursor = Number.isFinite(stored) ? stored : 0;
  }

  /** False when the spool is full: the event is then only in the audit log and the store. */
  append(line: string): boolean {
    const data = Buffer.from(line + '\n');
    if (this.depthBytes() + data.length > this.maxBytes) return false;
    this.appendFd ??= openSync(this.dataFile, 'a', 0o600);
    // writeSync may write less than asked: finish, so the size kept here stays the file's.
    for (let offset = 0; offset < data.length;) offset += writeSync(this.appendFd, data, offset);
    this.size += data.length;
    return true;
  }

  close(): void {
    if (this.appendFd !== null) closeSync(this.appendFd);
    this.appendFd = null;
  }

  /** Bytes waiting for delivery. */
  depthBytes(): number {
    return Math.max(0, this.size - this.cursor);
  }

  /** Fill ratio of the bound, 0 to 1. */
  fill(): number {
    return this.depthBytes() / this.maxBytes;
  }

  /** Up to `limit` whole lines from the cursor on. */
  peek(limit: number): SpoolEntry[] {
    const start = this.cursor;
    const size = this.size;
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

  /**
   * Marks everything before `end` delivered (atomically, so a crash never loses the mark).
   * Off the event loop: on a busy disk a rename can wait for the journal for milliseconds.
   */
  async ack(end: number): Promise<void> {
    const temporary = `${this.cursorFile}.new`;
    await writeFile(temporary, String(end), { mode: 0o600 });
    await rename(temporary, this.cursorFile);
    this.cursor = end;
  }

  /**
   * Empties the file once everything in it is delivered and it has grown past COMPACT_AT
   * (a receiver that keeps up would otherwise cost a truncate and a cursor write per batch).
   */
  compactIfDelivered(): void {
    if (this.size >= COMPACT_AT && this.cursor >= this.size) {
      truncateSync(this.dataFile, 0);
      this.size = 0;
      this.cursor = 0;
      writeFileSync(this.cursorFile, '0', { mode: 0o600 });
    }
  }
}
