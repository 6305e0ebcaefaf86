/**
 * The SFTP wire format as the audit needs it (draft-ietf-secsh-filexfer-02, version 3, which
 * OpenSSH speaks): packet framing, field readers that refuse to read past a packet's end,
 * and file attributes.
 */

export const FXP = {
  INIT: 1, VERSION: 2, OPEN: 3, CLOSE: 4, READ: 5, WRITE: 6, LSTAT: 7, FSTAT: 8, SETSTAT: 9, FSETSTAT: 10,
  OPENDIR: 11, READDIR: 12, REMOVE: 13, MKDIR: 14, RMDIR: 15, REALPATH: 16, STAT: 17, RENAME: 18, READLINK: 19,
  SYMLINK: 20, STATUS: 101, HANDLE: 102, DATA: 103, NAME: 104, ATTRS: 105, EXTENDED: 200, EXTENDED_REPLY: 201,
} as const;

/** OPEN's pflags (§6.3). */
export const OPEN_WRITE = 0x02;
export const FX_OK = 0;

/**
 * OpenSSH's sftp-server and sftp client refuse packets longer than this
 * (SFTP_MAX_MSG_LENGTH); a longer one is no OpenSSH peer's.
 */
export const MAX_PACKET_BYTES = 256 * 1024;
/** §3: "handle strings MUST NOT be longer than 256 bytes". */
export const MAX_HANDLE_BYTES = 256;

/** A packet the audit cannot read: the watcher fails closed on it. */
export class MalformedPacket extends Error {}

/**
 * The most of a streamed packet (see PacketSplitter) the audit reads: a WRITE's type, id,
 * handle (at most MAX_HANDLE_BYTES), offset and data length; a DATA's fit in far less.
 */
export const STREAMED_HEAD_BYTES = 1 + 4 + 4 + MAX_HANDLE_BYTES + 8 + 4;

/**
 * Splits a byte stream into length-prefixed packets (§3). Packets of a `streamed` type (a
 * WRITE's or a DATA's file bytes) are passed through: only their head is kept, and
 * PacketReader.skipBytes() counts the rest without reading it. Any other packet is held
 * whole until complete. It holds at most one incomplete packet (the length field, a head,
 * or one packet of at most MAX_PACKET_BYTES), and copies only what arrived in pieces.
 */
export class PacketSplitter {
  private readonly lengthField = Buffer.alloc(4);
  private lengthHeld = 0;
  /** The current packet's size after its length field, or -1 while that field is read. */
  private size = -1;
  /** Bytes of the current packet's body seen so far. */
  private seen = 0;
  /** Bytes of the current packet's body kept for the reader. */
  private keep = 0;
  private parts: Buffer[] = [];
  private partsLength = 0;

  constructor(private readonly streamed: number) {}

  push(data: Buffer, onPacket: (packet: Buffer, size: number) => void): void {
    let p = 0;
    while (p < data.length) {
      if (this.size < 0) {
        p = this.readLength(data, p);
        if (this.size < 0) return;
        if (this.size === 0) this.complete(onPacket);
        continue;
      }
      if (this.seen === 0) this.keep = data[p] === this.streamed ? Math.min(this.size, STREAMED_HEAD_BYTES) : this.size;
      const take = Math.min(this.size - this.seen, data.length - p);
      if (this.seen < this.keep) {
        const kept = Math.min(take, this.keep - this.seen);
        this.parts.push(p === 0 && kept === data.length ? data : data.subarray(p, p + kept));
        this.partsLength += kept;
      }
      this.seen += take;
      p += take;
      if (this.seen === this.size) this.complete(onPacket);
    }
  }

  /** Bytes held while waiting for the rest of a packet. */
  held(): number {
    return this.lengthHeld + this.partsLength;
  }

  private readLength(data: Buffer, p: number): number {
    if (this.lengthHeld === 0 && data.length - p >= 4) {
      this.size = data.readUInt32BE(p);
      p += 4;
    } else {
      const n = Math.min(4 - this.lengthHeld, data.length - p);
      data.copy(this.lengthField, this.lengthHeld, p, p + n);
      this.lengthHeld += n;
      p += n;
      if (this.lengthHeld < 4) return p;
      this.lengthHeld = 0;
      this.size = this.lengthField.readUInt32BE(0);
    }
    if (this.size > MAX_PACKET_BYTES) throw new MalformedPacket(`a packet of ${this.size} bytes (more than ${MAX_PACKET_BYTES})`);
    return p;
  }

  private complete(onPacket: (packet: Buffer, size: number) => void): void {
    const packet = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.partsLength);
    const size = this.size;
    this.parts = [];
    this.partsLength = 0;
    this.size = -1;
    this.seen = 0;
    onPacket(packet, size);
  }
}

export class PacketReader {
  private offset = 0;
  /** `packet` is the packet's first bytes when the splitter kept only its head; `size` its whole size. */
  constructor(private readonly packet: Buffer, private readonly size = packet.length) {}

  byte(): number {
    this.need(1);
    return this.packet[this.offset++];
  }

  uint32(): number {
    this.need(4);
    const value = this.packet.readUInt32BE(this.offset);
    this.offset += 4;
    return value;
  }

  uint64(): number {
    this.need(8);
    const value = this.packet.readBigUInt64BE(this.offset);
    this.offset += 8;
    return Number(value);
  }

  bytes(): Buffer {
    return this.take(this.uint32());
  }

  /** A string's length, passing over its bytes: file bytes, which the audit counts but does not read. */
  skipBytes(): number {
    const length = this.uint32();
    if (this.offset + length > this.size) throw new MalformedPacket('a packet shorter than its fields');
    this.offset += length;
    return length;
  }

  /** A string as text (paths are UTF-8 in OpenSSH). */
  string(): string {
    return this.bytes().toString('utf8');
  }

  /** A handle as a map key: its bytes one to one as latin1. */
  handle(): string {
    const length = this.uint32();
    if (length > MAX_HANDLE_BYTES) throw new MalformedPacket(`a handle of ${length} bytes`);
    return this.take(length).toString('latin1');
  }

  /** File attributes (§5); returns what they would change, for the audit, or null when they change nothing. */
  attributes(): string | null {
    const flags = this.uint32();
    const changes: string[] = [];
    if (flags & 0x1) changes.push(`size ${this.uint64()}`);
    if (flags & 0x2) changes.push(`uid ${this.uint32()} gid ${this.uint32()}`);
    if (flags & 0x4) changes.push(`mode ${(this.uint32() & 0o7777).toString(8).padStart(4, '0')}`);
    if (flags & 0x8) changes.push(`atime ${isoTime(this.uint32())} mtime ${isoTime(this.uint32())}`);
    if (flags & 0x80000000) {
      const count = this.uint32();
      for (let i = 0; i < count; i++) {
        this.bytes();
        this.bytes();
      }
      changes.push(`${count} extended attributes`);
    }
    return changes.length > 0 ? changes.join(', ') : null;
  }

  private take(length: number): Buffer {
    this.need(length);
    const value = this.packet.subarray(this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  private need(length: number): void {
    if (this.offset + length > this.packet.length) throw new MalformedPacket('a packet shorter than its fields');
  }
}

function isoTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}
