/**
 * Watches an SFTP stream in both directions and reports each completed file operation:
 * uploads and downloads with the bytes moved, and every request that changes the target's
 * files (remove, rename, mkdir, rmdir, symlink, hardlink, setstat, copy-data). It reads
 * the bytes the relay passes on, before they are passed on.
 *
 * It fails closed: a packet it cannot parse, a request id reused while outstanding (two
 * OPENs with one id would let a read of one file be counted as the other's), a reply to
 * no outstanding request, or state beyond its bounds turns every later verdict into a
 * failure, and the session must end. A watcher that merely stopped reporting would let
 * the transfer go on unaudited.
 */
import { WATCHING, type FileOperation, type WatchVerdict } from './file-operation.js';
import { FX_OK, FXP, MalformedPacket, OPEN_WRITE, PacketReader, PacketSplitter } from './sftp-packets.js';

export const SFTP_LIMITS = {
  /** Requests awaiting a reply; OpenSSH's sftp keeps 64 in flight (`-R`). */
  maxOutstanding: 4096,
  /** Files and directories open at once. */
  maxOpenHandles: 1024,
  /** Characters of paths held for outstanding requests and open files. */
  maxHeldPathChars: 1024 * 1024,
} as const;

interface OpenFile { path: string; directory: boolean; write: boolean; read: number; written: number }

/** What a request waits for; its reply completes it. */
type Pending =
  | { kind: 'open'; path: string; write: boolean; directory: boolean }
  | { kind: 'read'; handle: string }
  | { kind: 'close'; handle: string }
  /** Reported when the reply is STATUS OK. */
  | { kind: 'change'; operation: FileOperation }
  /** An extension the watcher does not know: reported when it succeeds, so nothing it did goes unseen. */
  | { kind: 'extension'; name: string }
  | { kind: 'query' };

/** Extensions OpenSSH offers that change nothing on the target. */
const READ_ONLY_EXTENSIONS = new Set([
  'statvfs@openssh.com', 'fstatvfs@openssh.com', 'fsync@openssh.com', 'limits@openssh.com', 'expand-path@openssh.com',
  'home-directory', 'users-groups-by-id@openssh.com',
]);

export class SftpAudit {
  private readonly requests = new PacketSplitter(FXP.WRITE);
  private readonly replies = new PacketSplitter(FXP.DATA);
  private readonly pending = new Map<number, Pending>();
  private readonly handles = new Map<string, OpenFile>();
  private heldPathChars = 0;
  private initialised = false;
  private versionSeen = false;
  private verdict: WatchVerdict = WATCHING;

  constructor(private readonly report: (operation: FileOperation) => void) {}

  /** Bytes from the client to the target. */
  request(data: Buffer): WatchVerdict {
    return this.guard(() => this.requests.push(data, (packet, size) => this.onRequest(new PacketReader(packet, size))));
  }

  /** Bytes from the target to the client. */
  response(data: Buffer): WatchVerdict {
    return this.guard(() => this.replies.push(data, (packet, size) => this.onReply(new PacketReader(packet, size))));
  }

  /** Reports the files left open when the session ends. */
  end(): void {
    if (!this.verdict.ok) return;
    for (const file of this.handles.values()) if (!file.directory) this.reportFile(file);
    this.handles.clear();
    this.pending.clear();
    this.heldPathChars = 0;
  }

  /** The watcher's state, for tests of its bounds. */
  size(): { outstanding: number; openHandles: number; heldPathChars: number; bufferedBytes: number } {
    return { outstanding: this.pending.size, openHandles: this.handles.size, heldPathChars: this.heldPathChars, bufferedBytes: this.requests.held() + this.replies.held() };
  }

  private guard(work: () => void): WatchVerdict {
    if (!this.verdict.ok) return this.verdict;
    try {
      work();
    } catch (error) {
      // Anything thrown while parsing (a RangeError included) means the stream is not SFTP as we know it.
      this.verdict = { ok: false, reason: `sftp: ${error instanceof MalformedPacket ? error.message : `unreadable packet (${(error as Error).message})`}` };
      this.pending.clear();
      this.handles.clear();
      this.heldPathChars = 0;
    }
    return this.verdict;
  }

  private onRequest(r: PacketReader): void {
    const type = r.byte();
    if (type === FXP.INIT) {
      if (this.initialised) throw new MalformedPacket('a second INIT');
      this.initialised = true;
      return;
    }
    if (!this.initialised) throw new MalformedPacket(`request type ${type} before INIT`);
    const id = r.uint32();
    if (this.pending.has(id)) throw new MalformedPacket(`request id ${id} reused while outstanding`);
    if (this.pending.size >= SFTP_LIMITS.maxOutstanding) throw new MalformedPacket(`more than ${SFTP_LIMITS.maxOutstanding} requests outstanding`);
    this.expect(id, this.pendingFor(type, r));
  }

  private pendingFor(type: number, r: PacketReader): Pending {
    const change = (operation: string, path: string, detail?: string | null): Pending =>
      ({ kind: 'change', operation: { operation, path, bytes: 0, ...(detail ? { detail } : {}) } });
    switch (type) {
      case FXP.OPEN: {
        const path = r.string();
        return { kind: 'open', path, write: (r.uint32() & OPEN_WRITE) !== 0, directory: false };
      }
      case FXP.OPENDIR: return { kind: 'open', path: r.string(), write: false, directory: true };
      case FXP.READ: return { kind: 'read', handle: r.handle() };
      case FXP.WRITE: {
        // Counted as the bytes pass: the target has them whatever it answers, even after a CLOSE.
        const file = this.fileOf(r.handle());
        r.uint64();
        file.written += r.skipBytes();
        return { kind: 'query' };
      }
      case FXP.CLOSE: return { kind: 'close', handle: r.handle() };
      case FXP.REMOVE: return change('remove', r.string());
      case FXP.MKDIR: return change('mkdir', r.string());
      case FXP.RMDIR: return change('rmdir', r.string());
      case FXP.RENAME: return change('rename', `${r.string()} -> ${r.string()}`);
      case FXP.SYMLINK: {
        // OpenSSH sends the target before the link, the reverse of draft-02 §6.10 (OpenSSH PROTOCOL §4.1).
        const target = r.string();
        return change('symlink', `${r.string()} -> ${target}`);
      }
      case FXP.SETSTAT: {
        const path = r.string();
        return change('setstat', path, r.attributes());
      }
      case FXP.FSETSTAT: {
        const handle = r.handle();
        return change('setstat', this.handles.get(handle)?.path ?? '(unknown handle)', r.attributes());
      }
      case FXP.EXTENDED: return this.extension(r);
      case FXP.LSTAT: case FXP.FSTAT: case FXP.STAT: case FXP.READDIR: case FXP.REALPATH: case FXP.READLINK:
        return { kind: 'query' };
      default:
        throw new MalformedPacket(`unknown request type ${type}`);
    }
  }

  private extension(r: PacketReader): Pending {
    const name = r.string();
    const change = (operation: string, path: string, bytes = 0, detail?: string | null): Pending =>
      ({ kind: 'change', operation: { operation, path, bytes, ...(detail ? { detail } : {}) } });
    switch (name) {
      case 'posix-rename@openssh.com': return change('rename', `${r.string()} -> ${r.string()}`);
      case 'hardlink@openssh.com': {
        const existing = r.string();
        return change('hardlink', `${r.string()} -> ${existing}`);
      }
      case 'lsetstat@openssh.com': {
        const path = r.string();
        return change('lsetstat', path, 0, r.attributes());
      }
      case 'copy-data': {
        // draft-ietf-secsh-filexfer-extensions-00 §7: handles and offsets of both files; length 0 copies to the end.
        const from = this.pathOfHandle(r.handle());
        r.uint64();
        const length = r.uint64();
        const to = this.pathOfHandle(r.handle());
        return change('copy-data', `${from} -> ${to}`, length, length === 0 ? 'to the end of the source' : null);
      }
      default:
        return READ_ONLY_EXTENSIONS.has(name) ? { kind: 'query' } : { kind: 'extension', name: name.slice(0, 128) };
    }
  }

  private onReply(r: PacketReader): void {
    const type = r.byte();
    if (type === FXP.VERSION) {
      if (this.versionSeen) throw new MalformedPacket('a second VERSION');
      // Later drafts change OPEN, RENAME and the attributes; what the watcher reads is version 3.
      const version = r.uint32();
      if (version !== 3) throw new MalformedPacket(`SFTP version ${version} (only version 3 is audited)`);
      this.versionSeen = true;
      return;
    }
    if (!this.versionSeen) throw new MalformedPacket(`reply type ${type} before VERSION`);
    const id = r.uint32();
    const pending = this.pending.get(id);
    if (!pending) throw new MalformedPacket(`a reply to request id ${id}, which is not outstanding`);
    this.settle(id, pending);
    switch (type) {
      case FXP.STATUS: {
        const ok = r.uint32() === FX_OK;
        if (!ok) return;
        if (pending.kind === 'change') this.report(pending.operation);
        else if (pending.kind === 'extension') this.report({ operation: 'extension', path: '', bytes: 0, detail: pending.name });
        else if (pending.kind === 'close') this.closeHandle(pending.handle);
        return;
      }
      case FXP.HANDLE: {
        const handle = r.handle();
        if (pending.kind === 'open') this.openHandle(handle, pending);
        return;
      }
      case FXP.DATA: {
        const length = r.skipBytes();
        if (pending.kind === 'read') this.fileOf(pending.handle).read += length;
        return;
      }
      case FXP.EXTENDED_REPLY:
        if (pending.kind === 'extension') this.report({ operation: 'extension', path: '', bytes: 0, detail: pending.name });
        return;
      case FXP.NAME: case FXP.ATTRS:
        return;
      default:
        throw new MalformedPacket(`unknown reply type ${type}`);
    }
  }

  private expect(id: number, pending: Pending): void {
    const chars = pathChars(pending);
    if (this.heldPathChars + chars > SFTP_LIMITS.maxHeldPathChars) throw new MalformedPacket(`more than ${SFTP_LIMITS.maxHeldPathChars} characters of paths held`);
    this.heldPathChars += chars;
    this.pending.set(id, pending);
  }

  private settle(id: number, pending: Pending): void {
    this.pending.delete(id);
    this.heldPathChars -= pathChars(pending);
  }

  private openHandle(handle: string, open: Extract<Pending, { kind: 'open' }>): void {
    // A handle the target hands out again replaces the file it named; that file is accounted first.
    this.closeHandle(handle);
    if (this.handles.size >= SFTP_LIMITS.maxOpenHandles) throw new MalformedPacket(`more than ${SFTP_LIMITS.maxOpenHandles} handles open`);
    if (this.heldPathChars + open.path.length > SFTP_LIMITS.maxHeldPathChars) throw new MalformedPacket(`more than ${SFTP_LIMITS.maxHeldPathChars} characters of paths held`);
    this.heldPathChars += open.path.length;
    this.handles.set(handle, { path: open.path, directory: open.directory, write: open.write, read: 0, written: 0 });
  }

  private closeHandle(handle: string): void {
    const file = this.handles.get(handle);
    if (!file) return;
    this.handles.delete(handle);
    this.heldPathChars -= file.path.length;
    if (!file.directory) this.reportFile(file);
  }

  /** The open file of a handle; reads and writes on other handles (stale, a directory's) move no file's bytes. */
  private fileOf(handle: string): { read: number; written: number } {
    const file = this.handles.get(handle);
    return file && !file.directory ? file : { read: 0, written: 0 };
  }

  private pathOfHandle(handle: string): string {
    return this.handles.get(handle)?.path ?? '(unknown handle)';
  }

  private reportFile(file: OpenFile): void {
    const operation = file.written > 0 || (file.write && file.read === 0) ? 'upload' : file.read > 0 ? 'download' : 'open';
    this.report({ operation, path: file.path, bytes: operation === 'upload' ? file.written : file.read });
  }
}

function pathChars(pending: Pending): number {
  switch (pending.kind) {
    case 'open': return pending.path.length;
    case 'change': return pending.operation.path.length + (pending.operation.detail?.length ?? 0);
    case 'extension': return pending.name.length;
    default: return 0;
  }
}
