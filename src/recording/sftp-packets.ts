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
 * Splits a byte stream into length-prefixed packets (§3). It holds at most one incomplete
 * packet, and copies a packet only when it arrived in pieces.
 */
export class PacketSplitter {
  private chunks: Buffer[] = [];
  private length = 0;

  push(data: Buffer, onPacket: (packet: Buffer) => void): void {
    if (data.length === 0) return;
    this.chunks.push(data);
    this.length += data.length;
    while (this.length >= 4) {
      if (this.chunks[0].length < 4) this.chunks = [Buffer.concat(this.chunks)];
      const size = this.chunks[0].readUInt32BE(0);
      if (size > MAX_PACKET_BYTES) throw new MalformedPacket(`a packet of ${size} bytes (more than ${MAX_PACKET_BYTES})`);
      if (this.length < 4 + size) return;
      const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
      const rest = all.subarray(4 + size);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.length = rest.length;
      onPacket(all.subarray(4, 4 + size));
    }
  }

  /** Bytes held while waiting for the rest of a packet. */
  held(): number {
    return this.length;
  }
}

export class PacketReader {
  private offset = 0;
  constructor(private readonly packet: Buffer) {}

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
    const length = this.uint32();
    this.need(length);
    const value = this.packet.subarray(this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  /** A string as text (paths are UTF-8 in OpenSSH). */
  string(): string {
    return this.bytes().toString('utf8');
  }

  /** A handle as a map key: its bytes one to one as latin1. */
  handle(): string {
    const handle = this.bytes();
    if (handle.length > MAX_HANDLE_BYTES) throw new MalformedPacket(`a handle of ${handle.length} bytes`);
    return handle.toString('latin1');
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

  private need(length: number): void {
    if (this.offset + length > this.packet.length) throw new MalformedPacket('a packet shorter than its fields');
  }
}

function isoTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}
