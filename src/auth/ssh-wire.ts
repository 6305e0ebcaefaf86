/**
 * The SSH wire types of RFC 4251 §5 (uint32, uint64, string, boolean), read from bytes a
 * stranger sent: every read is bounded by the buffer, and a short or bent one throws
 * `Malformed`, which the callers turn into a refusal.
 */

export class Malformed extends Error {}

export class WireReader {
  private offset = 0;
  constructor(private readonly buffer: Buffer) {}

  get position(): number { return this.offset; }
  get done(): boolean { return this.offset === this.buffer.length; }

  private take(length: number, what: string): Buffer {
    if (length > this.buffer.length - this.offset) throw new Malformed(`${what} runs past the end`);
    const bytes = this.buffer.subarray(this.offset, this.offset + length);
    this.offset += length;
    return bytes;
  }
  byte(what: string): number { return this.take(1, what)[0]; }
  uint32(what: string): number { return this.take(4, what).readUInt32BE(0); }
  uint64(what: string): bigint { return this.take(8, what).readBigUInt64BE(0); }
  string(what: string): Buffer { return this.take(this.uint32(what), what); }
  /** A string that must be UTF-8 text without NUL (OpenSSH `sshbuf_get_cstring`). */
  text(what: string): string {
    const bytes = this.string(what);
    if (bytes.includes(0)) throw new Malformed(`${what} holds a NUL byte`);
    const text = bytes.toString('utf8');
    if (!Buffer.from(text, 'utf8').equals(bytes)) throw new Malformed(`${what} is not UTF-8`);
    return text;
  }
}

/** An SSH `string`: a uint32 length and the bytes. */
export function sshString(bytes: Buffer | string): Buffer {
  const body = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length, 0);
  return Buffer.concat([length, body]);
}
