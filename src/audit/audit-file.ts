/**
 * This node's copy of the audit trail: one JSON line per committed event, in the order this
 * process committed them. Several processes of one node (the gateway, the CLI) append to the
 * same file; the chain order of record is the store's, and `audit verify` checks every line
 * against it. Past `rotateSize` the file is renamed `audit-<time>-<n>.log` and a new one begun.
 *
 * The descriptor stays open (an audit write must not need a free descriptor at the moment of
 * the event); before each write the path is looked at again, so a rotation made by another
 * process, or an operator moving the file away, sends later lines to the new file.
 */
import { closeSync, existsSync, fstatSync, openSync, renameSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';

export class AuditFile {
  private fd: number | null = null;
  private inode = -1;

  constructor(private readonly file: string, private readonly rotateSize: number) {
    this.open();
  }

  append(line: string, ts: string): void {
    const current = this.currentStat();
    if (!current || current.ino !== this.inode) this.reopen();
    const size = current && current.ino === this.inode ? current.size : 0;
    if (size > 0 && size + Buffer.byteLength(line) > this.rotateSize) {
      renameSync(this.file, rotatedName(this.file, ts));
      this.reopen();
    }
    const data = Buffer.from(line);
    // writeSync may write less than asked (a full disk, a signal): finish or throw.
    for (let offset = 0; offset < data.length;) offset += writeSync(this.descriptor(), data, offset);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private descriptor(): number {
    if (this.fd === null) this.open();
    return this.fd!;
  }

  private open(): void {
    this.fd = openSync(this.file, 'a', 0o600);
    this.inode = fstatSync(this.fd).ino;
  }

  private reopen(): void {
    this.close();
    this.open();
  }

  private currentStat(): { ino: number; size: number } | null {
    try {
      return statSync(this.file);
    } catch {
      return null;
    }
  }
}

/**
 * `audit.log` -> `audit-20261121T153000.123Z-0000.log`: names sort in time order, and a
 * second rotation within the same millisecond takes the next sequence number.
 */
export function rotatedName(file: string, ts: string): string {
  const { dir, name, ext } = path.parse(file);
  for (let seq = 0; ; seq++) {
    const candidate = path.join(dir, `${name}-${ts.replace(/[-:]/g, '')}-${String(seq).padStart(4, '0')}${ext}`);
    if (!existsSync(candidate)) return candidate;
  }
}
