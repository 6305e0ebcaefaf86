/**
 * Watches a legacy scp transfer (`scp -O`: the rcp protocol as OpenSSH's scp.c speaks it;
 * there is no RFC) in the direction that carries files, and reports one `scp upload` or
 * `scp download` per file with its exact size and path. That direction is a sequence of
 * records, each a line, acknowledged by the other side:
 *
 *   T<mtime> 0 <atime> 0      times of the next file or directory (-p)
 *   C<mode> <size> <name>     a file: then exactly <size> bytes, then one status byte
 *   D<mode> 0 <name>          enter a directory (-r) ... E  leave it
 *   \x01<message> / \x02<message>   a warning / a fatal error from the sender
 *
 * The status byte after a file's bytes is 0, or \x01/\x02 starting an error message. A
 * record scp.c would refuse (a line longer than its 2048-byte buffer, a bad mode or size,
 * a name with `/` or `..`) ends the watch: the watcher fails closed.
 */
import { WATCHING, type FileOperation, type WatchVerdict } from './file-operation.js';

/** What the scp command on the target was asked to do (see gateway/scp-command.ts). */
export interface ScpTransferRequest {
  direction: 'upload' | 'download';
  /** The target of `scp -t` or the source of `scp -f`, unquoted. */
  path: string;
  targetIsDirectory: boolean;
}

export const SCP_LIMITS = {
  /** scp.c reads a record into `char buf[2048]`. */
  maxLineBytes: 2048,
  /** Directories deep (D records not yet closed by E). */
  maxDepth: 256,
  /** Length of a reported path, as Linux's PATH_MAX. */
  maxPathLength: 4096,
} as const;

type State =
  | { at: 'record' }
  | { at: 'data'; file: { path: string; size: number }; remaining: number }
  | { at: 'status'; file: { path: string; size: number } };

const NEWLINE = 0x0a;
const RECORD = /^([CD])([0-7]{4}) (\d+) (.+)$/s;

export class ScpAudit {
  private state: State = { at: 'record' };
  private line: Buffer[] = [];
  private lineLength = 0;
  private readonly directories: string[] = [];
  private failure: WatchVerdict = WATCHING;

  constructor(private readonly request: ScpTransferRequest, private readonly report: (operation: FileOperation) => void) {}

  /** Bytes in the direction that carries files (client to target for uploads, back for downloads). */
  files(data: Buffer): WatchVerdict {
    if (!this.failure.ok) return this.failure;
    let offset = 0;
    while (offset < data.length && this.failure.ok) offset = this.step(data, offset);
    return this.failure;
  }

  /** The session ended: a file cut off mid-way is reported with the bytes that did move. */
  end(): void {
    if (!this.failure.ok) return;
    if (this.state.at === 'data') this.reportFile(this.state.file.path, this.state.file.size - this.state.remaining);
    this.state = { at: 'record' };
  }

  /** Buffered bytes and open directories, for tests of the bounds. */
  heldBytes(): number {
    return this.lineLength + this.directories.reduce((sum, name) => sum + name.length, 0);
  }

  private step(data: Buffer, offset: number): number {
    const state = this.state;
    if (state.at === 'data') {
      const take = Math.min(state.remaining, data.length - offset);
      state.remaining -= take;
      if (state.remaining === 0) this.state = { at: 'status', file: state.file };
      return offset + take;
    }
    if (state.at === 'status') {
      const status = data[offset];
      // The bytes went through either way; an error from the sender follows as a message record.
      this.reportFile(state.file.path, state.file.size);
      this.state = { at: 'record' };
      if (status === 0) return offset + 1;
      if (status === 1 || status === 2) return offset;
      return this.fail(`unexpected status byte ${status} after ${state.file.path}`);
    }
    const end = data.indexOf(NEWLINE, offset);
    const stop = end === -1 ? data.length : end;
    if (this.lineLength + (stop - offset) > SCP_LIMITS.maxLineBytes) return this.fail(`a record longer than ${SCP_LIMITS.maxLineBytes} bytes`);
    this.line.push(data.subarray(offset, stop));
    this.lineLength += stop - offset;
    if (end === -1) return data.length;
    const record = Buffer.concat(this.line).toString('utf8');
    this.line = [];
    this.lineLength = 0;
    this.onRecord(record);
    return end + 1;
  }

  private onRecord(record: string): void {
    const kind = record.charCodeAt(0);
    if (kind === 1 || kind === 2) return; // a message for the user; the sender goes on or stops
    if (record === 'E') {
      if (this.directories.pop() === undefined) this.fail('E record outside a directory');
      return;
    }
    if (/^T\d+ \d+ \d+ \d+$/.test(record)) return;
    const match = RECORD.exec(record);
    if (!match) {
      this.fail(`unexpected record ${JSON.stringify(record.slice(0, 64))}`);
      return;
    }
    const [, type, , sizeText, name] = match;
    // scp.c refuses these names (a sender could otherwise write outside the target).
    if (name.includes('/') || name === '..') {
      this.fail(`unexpected file name ${JSON.stringify(name.slice(0, 64))}`);
      return;
    }
    const size = Number(sizeText);
    if (!Number.isSafeInteger(size)) {
      this.fail(`size ${sizeText.slice(0, 32)} out of range`);
      return;
    }
    if (type === 'D') {
      if (this.directories.length >= SCP_LIMITS.maxDepth) {
        this.fail(`directories deeper than ${SCP_LIMITS.maxDepth}`);
        return;
      }
      this.directories.push(name);
      if (this.pathOf('').length > SCP_LIMITS.maxPathLength) this.fail(`a path longer than ${SCP_LIMITS.maxPathLength}`);
      return;
    }
    const file = { path: this.pathOf(name), size };
    if (file.path.length > SCP_LIMITS.maxPathLength) {
      this.fail(`a path longer than ${SCP_LIMITS.maxPathLength}`);
      return;
    }
    this.state = size === 0 ? { at: 'status', file } : { at: 'data', file, remaining: size };
  }

  /**
   * Where a file lands (upload) or was read (download). A download's records name files by
   * their last component, next to the requested path. An upload lands at the target itself
   * unless the target is a directory; the gateway cannot look, so a target is taken as a
   * directory when it says so (`/` at the end, `.`, `-d`) or a directory was sent into it.
   */
  private pathOf(name: string): string {
    const { direction, path } = this.request;
    if (direction === 'download') return joinPath(parentOf(path), ...this.directories, name);
    const targetIsDirectory = this.request.targetIsDirectory || this.directories.length > 0 || /(^|\/)\.{0,2}$|^~$/.test(path);
    return targetIsDirectory ? joinPath(path, ...this.directories, name) : path;
  }

  private reportFile(path: string, bytes: number): void {
    this.report({ operation: `scp ${this.request.direction}`, path, bytes });
  }

  private fail(reason: string): number {
    this.failure = { ok: false, reason: `scp: ${reason}` };
    this.line = [];
    this.lineLength = 0;
    return Number.MAX_SAFE_INTEGER;
  }
}

/** The directory part of a path as scp.c's source sees it (trailing slashes removed first). */
function parentOf(path: string): string {
  const trimmed = path.length > 1 ? path.replace(/\/+$/, '') : path;
  const slash = trimmed.lastIndexOf('/');
  if (slash === -1) return '';
  return slash === 0 ? '/' : trimmed.slice(0, slash);
}

function joinPath(base: string, ...names: string[]): string {
  return names.filter((name) => name !== '').reduce((joined, name) => (joined === '' ? name : joined.endsWith('/') ? joined + name : `${joined}/${name}`), base);
}
