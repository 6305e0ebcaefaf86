/**
 * Decodes an HTTP/1.1 chunked body (RFC 9112 §7.1) as a byte stream: the legacy RD Gateway
 * transport sends its tunnel packets as the chunks of one endless RDG_IN_DATA request.
 * Chunk data is passed on as it arrives, never buffered whole; only a size line is held,
 * and one longer than MAX_SIZE_LINE is refused.
 */
import { HttpHeadError } from './http-request-head.js';

const MAX_SIZE_LINE = 64;
/** A chunk announced larger than this is refused (the client's packets are at most 64 KiB). */
const MAX_CHUNK = 16 * 1024 * 1024;

type State = 'size' | 'data' | 'data-end' | 'trailer' | 'done';

export class ChunkedDecoder {
  private state: State = 'size';
  private line = '';
  private remaining = 0;

  /** The body bytes in `bytes`; `ended` once the last chunk and its trailer were read. */
  push(bytes: Buffer): { data: Buffer[]; ended: boolean } {
    const data: Buffer[] = [];
    let at = 0;
    while (at < bytes.length && this.state !== 'done') {
      if (this.state === 'data') {
        const take = Math.min(this.remaining, bytes.length - at);
        data.push(bytes.subarray(at, at + take));
        at += take;
        this.remaining -= take;
        if (this.remaining === 0) this.state = 'data-end';
        continue;
      }
      const byte = bytes[at++];
      if (byte !== 0x0a) {
        this.line += String.fromCharCode(byte);
        if (this.line.length > MAX_SIZE_LINE) throw new HttpHeadError('chunk line too long', 400);
        continue;
      }
      const line = this.line.endsWith('\r') ? this.line.slice(0, -1) : this.line;
      this.line = '';
      this.onLine(line);
    }
    return { data, ended: this.state === 'done' };
  }

  private onLine(line: string): void {
    switch (this.state) {
      case 'size': {
        // A chunk extension (`;name=value`) is allowed and ignored (RFC 9112 §7.1.1).
        const size = /^([0-9A-Fa-f]{1,8})[ \t]*(;.*)?$/.exec(line);
        if (!size) throw new HttpHeadError('malformed chunk size', 400);
        const length = parseInt(size[1], 16);
        if (length > MAX_CHUNK) throw new HttpHeadError(`a chunk of ${length} bytes exceeds ${MAX_CHUNK}`, 400);
        this.remaining = length;
        this.state = length === 0 ? 'trailer' : 'data';
        return;
      }
      case 'data-end':
        if (line !== '') throw new HttpHeadError('chunk data longer than its size', 400);
        this.state = 'size';
        return;
      case 'trailer':
        if (line === '') this.state = 'done';
        return;
      default:
        return;
    }
  }
}
