/**
 * Reads an HTTP/1.1 request head (RFC 9112 §2-5) from the bytes a client sent. Our own,
 * because the RD Gateway's methods (RDG_OUT_DATA, RDG_IN_DATA) are not among those that
 * Node's HTTP parser accepts. Bounded: a head longer than MAX_HEAD_BYTES or with more than
 * MAX_HEADERS fields is refused before it is buffered further.
 */

export const MAX_HEAD_BYTES = 16 * 1024;
const MAX_HEADERS = 64;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export interface RequestHead {
  method: string;
  target: string;
  /** Field names in lower case; a repeated field keeps its values joined by ", " (RFC 9110 §5.3). */
  headers: Map<string, string>;
}

export class HttpHeadError extends Error {
  readonly code = 'HTTP_BAD_REQUEST';
  constructor(message: string, readonly status: 400 | 431 | 505) {
    super(message);
  }
}

/** The head and the bytes after it, or null while the head is incomplete. */
export function parseRequestHead(buffer: Buffer): { head: RequestHead; rest: Buffer } | null {
  const end = buffer.indexOf('\r\n\r\n');
  if (end < 0) {
    if (buffer.length > MAX_HEAD_BYTES) throw new HttpHeadError('request head too large', 431);
    return null;
  }
  if (end > MAX_HEAD_BYTES) throw new HttpHeadError('request head too large', 431);
  const lines = buffer.subarray(0, end).toString('latin1').split('\r\n');
  const [method, target, version, ...extra] = lines[0].split(' ');
  if (extra.length > 0 || !method || !target || !version || !TOKEN.test(method)) throw new HttpHeadError('malformed request line', 400);
  if (version !== 'HTTP/1.1') throw new HttpHeadError(`${version.slice(0, 16)} is not HTTP/1.1`, 505);
  if (lines.length - 1 > MAX_HEADERS) throw new HttpHeadError('too many header fields', 431);
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon) : '';
    // No obsolete line folding and no space before the colon (RFC 9112 §5.1, §5.2).
    if (!TOKEN.test(name)) throw new HttpHeadError('malformed header field', 400);
    const value = line.slice(colon + 1).trim();
    if (/[\0\r\n]/.test(value)) throw new HttpHeadError('malformed header field', 400);
    const key = name.toLowerCase();
    const previous = headers.get(key);
    headers.set(key, previous === undefined ? value : `${previous}, ${value}`);
  }
  return { head: { method, target, headers }, rest: buffer.subarray(end + 4) };
}

/** How the request's body is framed (RFC 9112 §6): both framings at once is refused as smuggling. */
export function bodyFraming(head: RequestHead): { kind: 'chunked' } | { kind: 'length'; length: number } {
  const transfer = head.headers.get('transfer-encoding');
  const contentLength = head.headers.get('content-length');
  if (transfer !== undefined) {
    if (contentLength !== undefined) throw new HttpHeadError('both Transfer-Encoding and Content-Length', 400);
    if (transfer.toLowerCase() !== 'chunked') throw new HttpHeadError(`unsupported Transfer-Encoding ${transfer.slice(0, 32)}`, 400);
    return { kind: 'chunked' };
  }
  if (contentLength === undefined) return { kind: 'length', length: 0 };
  if (!/^\d{1,15}$/.test(contentLength)) throw new HttpHeadError('malformed Content-Length', 400);
  return { kind: 'length', length: Number(contentLength) };
}

/** Whether a comma-separated header holds a token, case-insensitively (`Connection: keep-alive, Upgrade`). */
export function headerHasToken(head: RequestHead, name: string, token: string): boolean {
  return (head.headers.get(name) ?? '').split(',').some((part) => part.trim().toLowerCase() === token);
}
