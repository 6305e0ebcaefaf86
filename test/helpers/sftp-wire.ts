/**
 * SFTP packets built by hand (draft-ietf-secsh-filexfer-02, as OpenSSH speaks it), for
 * tests that play a client or a server the way no well-behaved one would.
 */

export const PFLAG = { READ: 0x1, WRITE: 0x2, CREAT: 0x8, TRUNC: 0x10 } as const;

export function uint32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(value >>> 0);
  return b;
}

export function uint64(value: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(value));
  return b;
}

export function sshString(value: string | Buffer): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value) : value;
  return Buffer.concat([uint32(bytes.length), bytes]);
}

/** uint32 length, byte type, fields. */
export function packet(type: number, ...fields: Buffer[]): Buffer {
  const body = Buffer.concat([Buffer.from([type]), ...fields]);
  return Buffer.concat([uint32(body.length), body]);
}

/** File attributes with only the fields given. */
export function attrs(a: { size?: number; uid?: number; gid?: number; mode?: number; atime?: number; mtime?: number } = {}): Buffer {
  let flags = 0;
  const fields: Buffer[] = [];
  if (a.size !== undefined) { flags |= 0x1; fields.push(uint64(a.size)); }
  if (a.uid !== undefined || a.gid !== undefined) { flags |= 0x2; fields.push(uint32(a.uid ?? 0), uint32(a.gid ?? 0)); }
  if (a.mode !== undefined) { flags |= 0x4; fields.push(uint32(a.mode)); }
  if (a.atime !== undefined || a.mtime !== undefined) { flags |= 0x8; fields.push(uint32(a.atime ?? 0), uint32(a.mtime ?? 0)); }
  return Buffer.concat([uint32(flags), ...fields]);
}

/** Requests, as a client sends them. */
export const request = {
  init: (version = 3) => packet(1, uint32(version)),
  open: (id: number, path: string, pflags: number = PFLAG.READ) => packet(3, uint32(id), sshString(path), uint32(pflags), attrs()),
  close: (id: number, handle: string) => packet(4, uint32(id), sshString(handle)),
  read: (id: number, handle: string, offset: number, length: number) => packet(5, uint32(id), sshString(handle), uint64(offset), uint32(length)),
  write: (id: number, handle: string, offset: number, data: Buffer) => packet(6, uint32(id), sshString(handle), uint64(offset), sshString(data)),
  lstat: (id: number, path: string) => packet(7, uint32(id), sshString(path)),
  setstat: (id: number, path: string, attributes: Buffer) => packet(9, uint32(id), sshString(path), attributes),
  fsetstat: (id: number, handle: string, attributes: Buffer) => packet(10, uint32(id), sshString(handle), attributes),
  opendir: (id: number, path: string) => packet(11, uint32(id), sshString(path)),
  readdir: (id: number, handle: string) => packet(12, uint32(id), sshString(handle)),
  remove: (id: number, path: string) => packet(13, uint32(id), sshString(path)),
  mkdir: (id: number, path: string) => packet(14, uint32(id), sshString(path), attrs()),
  rmdir: (id: number, path: string) => packet(15, uint32(id), sshString(path)),
  realpath: (id: number, path: string) => packet(16, uint32(id), sshString(path)),
  rename: (id: number, from: string, to: string) => packet(18, uint32(id), sshString(from), sshString(to)),
  /** In OpenSSH's order: the link's target first, then the link. */
  symlink: (id: number, target: string, link: string) => packet(20, uint32(id), sshString(target), sshString(link)),
  extended: (id: number, name: string, ...fields: Buffer[]) => packet(200, uint32(id), sshString(name), ...fields),
};

/** Replies, as a server sends them. */
export const reply = {
  version: (version = 3) => packet(2, uint32(version)),
  status: (id: number, code = 0, message = '') => packet(101, uint32(id), uint32(code), sshString(message), sshString('')),
  handle: (id: number, handle: string) => packet(102, uint32(id), sshString(handle)),
  data: (id: number, data: Buffer) => packet(103, uint32(id), sshString(data)),
  name: (id: number) => packet(104, uint32(id), uint32(0)),
  attrs: (id: number) => packet(105, uint32(id), attrs()),
  extendedReply: (id: number) => packet(201, uint32(id)),
};

/** Splits a stream of packets back into packets (type and body). */
export function splitPackets(stream: Buffer): Array<{ type: number; body: Buffer }> {
  const packets: Array<{ type: number; body: Buffer }> = [];
  let offset = 0;
  while (offset + 4 <= stream.length) {
    const length = stream.readUInt32BE(offset);
    if (offset + 4 + length > stream.length) break;
    packets.push({ type: stream[offset + 4], body: stream.subarray(offset + 5, offset + 4 + length) });
    offset += 4 + length;
  }
  return packets;
}
