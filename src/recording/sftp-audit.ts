/**
 * Watches an SFTP stream (draft-ietf-secsh-filexfer-02, as OpenSSH speaks it) in both
 * directions and reports each completed file operation: uploads and downloads with the
 * bytes moved, removals, renames, directories made and removed. It only reads the bytes
 * the relay passes on; a stream it cannot parse stops the reports, never the transfer.
 */
const FXP = { OPEN: 3, CLOSE: 4, READ: 5, WRITE: 6, REMOVE: 13, MKDIR: 14, RMDIR: 15, RENAME: 18, EXTENDED: 200, STATUS: 101, HANDLE: 102, DATA: 103 } as const;
const OPEN_WRITE = 0x02;

export interface FileOperation { operation: 'upload' | 'download' | 'open' | 'remove' | 'rename' | 'mkdir' | 'rmdir'; path: string; bytes: number }

interface OpenFile { path: string; write: boolean; read: number; written: number }

/** Splits a byte stream into length-prefixed packets without copying payloads twice. */
class PacketSplitter {
  private chunks: Buffer[] = [];
  private length = 0;

  push(data: Buffer, onPacket: (packet: Buffer) => void): void {
    this.chunks.push(data);
    this.length += data.length;
    while (this.length >= 4) {
      const head = this.chunks[0].length >= 4 ? this.chunks[0] : Buffer.concat(this.chunks);
      const size = head.readUInt32BE(0);
      if (size > 1 << 24) throw new Error('SFTP packet too large');
      if (this.length < 4 + size) return;
      const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
      onPacket(all.subarray(4, 4 + size));
      const rest = all.subarray(4 + size);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.length = rest.length;
    }
  }
}

class Reader {
  private offset = 0;
  constructor(private readonly buffer: Buffer) {}
  byte(): number { return this.buffer.readUInt8(this.offset++); }
  uint32(): number { const v = this.buffer.readUInt32BE(this.offset); this.offset += 4; return v; }
  skip(n: number): void { this.offset += n; }
  bytes(): Buffer { const n = this.uint32(); const v = this.buffer.subarray(this.offset, this.offset + n); this.offset += n; return v; }
  string(): string { return this.bytes().toString('utf8'); }
}

export class SftpAudit {
  private readonly up = new PacketSplitter();
  private readonly down = new PacketSplitter();
  private readonly pendingOpens = new Map<number, OpenFile>();
  private readonly pendingReads = new Map<number, string>();
  private readonly pendingOps = new Map<number, FileOperation>();
  private readonly files = new Map<string, OpenFile>();
  private broken = false;

  constructor(private readonly report: (operation: FileOperation) => void) {}

  /** Bytes from the client to the server. */
  request(data: Buffer): void {
    this.guard(() => this.up.push(data, (packet) => this.onRequest(new Reader(packet))));
  }

  /** Bytes from the server to the client. */
  response(data: Buffer): void {
    this.guard(() => this.down.push(data, (packet) => this.onResponse(new Reader(packet))));
  }

  /** Reports files left open when the session ends. */
  end(): void {
    for (const file of this.files.values()) this.reportFile(file);
    this.files.clear();
  }

  private guard(work: () => void): void {
    if (this.broken) return;
    try {
      work();
    } catch {
      this.broken = true;
    }
  }

  private onRequest(r: Reader): void {
    const type = r.byte();
    if (type === 1) return; // INIT carries a version, not an id
    const id = r.uint32();
    switch (type) {
      case FXP.OPEN: {
        const path = r.string();
        this.pendingOpens.set(id, { path, write: (r.uint32() & OPEN_WRITE) !== 0, read: 0, written: 0 });
        break;
      }
      case FXP.READ: this.pendingReads.set(id, r.bytes().toString('hex')); break;
      case FXP.WRITE: {
        const file = this.files.get(r.bytes().toString('hex'));
        r.skip(8);
        if (file) file.written += r.uint32();
        break;
      }
      case FXP.CLOSE: {
        const handle = r.bytes().toString('hex');
        const file = this.files.get(handle);
        if (file) {
          this.files.delete(handle);
          this.reportFile(file);
        }
        break;
      }
      case FXP.REMOVE: this.pendingOps.set(id, { operation: 'remove', path: r.string(), bytes: 0 }); break;
      case FXP.MKDIR: this.pendingOps.set(id, { operation: 'mkdir', path: r.string(), bytes: 0 }); break;
      case FXP.RMDIR: this.pendingOps.set(id, { operation: 'rmdir', path: r.string(), bytes: 0 }); break;
      case FXP.RENAME: this.pendingOps.set(id, { operation: 'rename', path: `${r.string()} -> ${r.string()}`, bytes: 0 }); break;
      case FXP.EXTENDED: {
        const name = r.string();
        if (name === 'posix-rename@openssh.com') this.pendingOps.set(id, { operation: 'rename', path: `${r.string()} -> ${r.string()}`, bytes: 0 });
        break;
      }
    }
  }

  private onResponse(r: Reader): void {
    const type = r.byte();
    if (type === 2) return; // VERSION
    const id = r.uint32();
    switch (type) {
      case FXP.HANDLE: {
        const open = this.pendingOpens.get(id);
        this.pendingOpens.delete(id);
        if (open) this.files.set(r.bytes().toString('hex'), open);
        break;
      }
      case FXP.DATA: {
        const handle = this.pendingReads.get(id);
        this.pendingReads.delete(id);
        const file = handle ? this.files.get(handle) : undefined;
        if (file) file.read += r.uint32();
        break;
      }
      case FXP.STATUS: {
        const code = r.uint32();
        this.pendingOpens.delete(id);
        this.pendingReads.delete(id);
        const op = this.pendingOps.get(id);
        this.pendingOps.delete(id);
        if (op && code === 0) this.report(op);
        break;
      }
    }
  }

  private reportFile(file: OpenFile): void {
    const operation = file.written > 0 || (file.write && file.read === 0) ? 'upload' : file.read > 0 ? 'download' : 'open';
    this.report({ operation, path: file.path, bytes: operation === 'upload' ? file.written : file.read });
  }
}
