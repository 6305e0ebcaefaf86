/**
 * The packets of the RD Gateway HTTP transport (MS-TSGU §2.2.10): parsing what a client
 * sends and building what the gateway answers. Pure code over byte buffers; every length
 * is checked against the packet it claims to be in, so a hostile client can only be told
 * "bad packet", never read past a buffer or make the gateway allocate what it asks.
 *
 * Every packet starts with an 8-byte header: type (u16), reserved (u16), packetLength
 * (u32, header included), all little-endian (MS-TSGU §2.2.10.9).
 */

export const PACKET = {
  HANDSHAKE_REQUEST: 0x1,
  HANDSHAKE_RESPONSE: 0x2,
  EXTENDED_AUTH_MSG: 0x3,
  TUNNEL_CREATE: 0x4,
  TUNNEL_RESPONSE: 0x5,
  TUNNEL_AUTH: 0x6,
  TUNNEL_AUTH_RESPONSE: 0x7,
  CHANNEL_CREATE: 0x8,
  CHANNEL_RESPONSE: 0x9,
  DATA: 0xa,
  SERVICE_MESSAGE: 0xb,
  REAUTH_MESSAGE: 0xc,
  KEEPALIVE: 0xd,
  CLOSE_CHANNEL: 0x10,
  CLOSE_CHANNEL_RESPONSE: 0x11,
} as const;

/** HRESULTs of MS-TSGU §2.2.6 that the gateway answers with. */
export const HRESULT = {
  OK: 0,
  E_PROXY_INTERNALERROR: 0x800759d8,
  E_PROXY_RAP_ACCESSDENIED: 0x800759da,
  E_PROXY_TS_CONNECTFAILED: 0x800759dd,
  E_PROXY_COOKIE_BADPACKET: 0x800759f7,
  E_PROXY_COOKIE_AUTHENTICATION_ACCESS_DENIED: 0x800759f8,
  E_PROXY_UNSUPPORTED_AUTHENTICATION_METHOD: 0x800759f9,
  E_PROXY_CAPABILITYMISMATCH: 0x800759e9,
  E_PROXY_MAXCONNECTIONSREACHED: 0x000059e6,
  E_PROXY_SESSIONTIMEOUT: 0x000059f6,
  E_PROXY_CONNECTIONABORTED: 0x000004d4,
} as const;
export type Hresult = (typeof HRESULT)[keyof typeof HRESULT];

/** HTTP_EXTENDED_AUTH: the gateway accepts only PAA (a token it issued). */
export const EXTENDED_AUTH_PAA = 0x2;
const TUNNEL_FIELD_PAA_COOKIE = 0x1;
const TUNNEL_RESPONSE_FIELD_TUNNEL_ID = 0x1;
const TUNNEL_RESPONSE_FIELD_CAPS = 0x2;
const TUNNEL_AUTH_RESPONSE_FIELD_REDIR_FLAGS = 0x1;
const TUNNEL_AUTH_RESPONSE_FIELD_IDLE_TIMEOUT = 0x2;
const CHANNEL_RESPONSE_FIELD_CHANNELID = 0x1;
/** HTTP_CAPABILITY_IDLE_TIMEOUT: the only capability the gateway announces. */
const CAPABILITY_IDLE_TIMEOUT = 0x2;
/** HTTP_TUNNEL_REDIR_ENABLE_ALL: the gateway leaves device redirection to the client and the target. */
const REDIRECT_ENABLE_ALL = 0x80000000;
/** Protocol 3 in a channel create is RDP. */
const PROTOCOL_RDP = 3;

export const HEADER_LENGTH = 8;
/** The largest packet the gateway accepts: a data packet's length field is 16 bits. */
export const MAX_PACKET_LENGTH = HEADER_LENGTH + 2 + 0xffff;
/** The largest data payload of one packet (`cbDataLen` is a u16). */
export const MAX_DATA_LENGTH = 0xffff;
/** Names in packets (a cookie, a client name, a host name) are bounded well below a packet. */
const MAX_NAME_BYTES = 4096;

export type ClientPacket =
  | { type: 'handshake'; versionMajor: number; versionMinor: number; extendedAuth: number }
  | { type: 'tunnel-create'; capabilities: number; paaCookie: string | null }
  | { type: 'tunnel-auth'; clientName: string }
  | { type: 'channel-create'; resources: string[]; port: number; protocol: number }
  | { type: 'data'; data: Buffer }
  | { type: 'keepalive' }
  | { type: 'close-channel'; status: number }
  | { type: 'close-channel-response'; status: number }
  | { type: 'other'; packetType: number };

export class PacketError extends Error {
  readonly code = 'RDG_BAD_PACKET';
}

/** The whole-packet length a header announces, or null while fewer than 8 bytes are there. */
export function announcedLength(buffer: Buffer): number | null {
  if (buffer.length < HEADER_LENGTH) return null;
  const length = buffer.readUInt32LE(4);
  if (length < HEADER_LENGTH) throw new PacketError(`packet length ${length} is shorter than its header`);
  if (length > MAX_PACKET_LENGTH) throw new PacketError(`packet length ${length} exceeds ${MAX_PACKET_LENGTH}`);
  return length;
}

/** Parses one whole packet (exactly `packetLength` bytes, as `PacketReader` cuts them). */
export function parseClientPacket(packet: Buffer): ClientPacket {
  const length = announcedLength(packet);
  if (length === null || length !== packet.length) throw new PacketError('truncated packet');
  const type = packet.readUInt16LE(0);
  const body = new Cursor(packet.subarray(HEADER_LENGTH));
  switch (type) {
    case PACKET.HANDSHAKE_REQUEST: {
      const versionMajor = body.u8();
      const versionMinor = body.u8();
      body.u16(); // clientVersion, must be 0 and ignored
      return { type: 'handshake', versionMajor, versionMinor, extendedAuth: body.u16() };
    }
    case PACKET.TUNNEL_CREATE: {
      const capabilities = body.u32();
      const fieldsPresent = body.u16();
      body.u16();
      const paaCookie = fieldsPresent & TUNNEL_FIELD_PAA_COOKIE ? body.utf16String() : null;
      return { type: 'tunnel-create', capabilities, paaCookie };
    }
    case PACKET.TUNNEL_AUTH: {
      body.u16(); // fieldsPresent: the SoH field is not used (no quarantine checks)
      return { type: 'tunnel-auth', clientName: body.utf16String() };
    }
    case PACKET.CHANNEL_CREATE: {
      const resourceCount = body.u8();
      const alternateCount = body.u8();
      const port = body.u16();
      const protocol = body.u16();
      const resources: string[] = [];
      // Alternate resources are names too; the gateway reads them only to reject them below.
      for (let i = 0; i < resourceCount + alternateCount; i++) resources.push(body.utf16String());
      if (resourceCount !== 1 || alternateCount !== 0) throw new PacketError(`a channel create must name one resource (named ${resourceCount} and ${alternateCount} alternates)`);
      return { type: 'channel-create', resources, port, protocol };
    }
    case PACKET.DATA: {
      const size = body.u16();
      return { type: 'data', data: body.bytes(size) };
    }
    case PACKET.KEEPALIVE:
      return { type: 'keepalive' };
    case PACKET.CLOSE_CHANNEL:
      return { type: 'close-channel', status: body.u32() };
    case PACKET.CLOSE_CHANNEL_RESPONSE:
      return { type: 'close-channel-response', status: body.u32() };
    default:
      return { type: 'other', packetType: type };
  }
}

export function isRdpProtocol(protocol: number): boolean {
  return protocol === PROTOCOL_RDP;
}

function header(type: number, length: number): Buffer {
  const buffer = Buffer.alloc(length);
  buffer.writeUInt16LE(type, 0);
  buffer.writeUInt32LE(length, 4);
  return buffer;
}

/** HTTP_HANDSHAKE_RESPONSE_PACKET (§2.2.10.11): version 1.0, PAA as the only extended auth. */
export function handshakeResponse(error: Hresult): Buffer {
  const packet = header(PACKET.HANDSHAKE_RESPONSE, 18);
  packet.writeUInt32LE(error, 8);
  packet.writeUInt8(1, 12);
  packet.writeUInt8(0, 13);
  packet.writeUInt16LE(0, 14);
  packet.writeUInt16LE(error === HRESULT.OK ? EXTENDED_AUTH_PAA : 0, 16);
  return packet;
}

/**
 * HTTP_TUNNEL_RESPONSE (§2.2.10.20): serverVersion, status, fieldsPresent, reserved, then
 * the tunnel id and the capabilities when it succeeds.
 */
export function tunnelResponse(error: Hresult, tunnelId = 0): Buffer {
  const ok = error === HRESULT.OK;
  const packet = header(PACKET.TUNNEL_RESPONSE, ok ? 26 : 18);
  packet.writeUInt16LE(0, 8);
  packet.writeUInt32LE(error, 10);
  packet.writeUInt16LE(ok ? TUNNEL_RESPONSE_FIELD_TUNNEL_ID | TUNNEL_RESPONSE_FIELD_CAPS : 0, 14);
  if (ok) {
    packet.writeUInt32LE(tunnelId >>> 0, 18);
    packet.writeUInt32LE(CAPABILITY_IDLE_TIMEOUT, 22);
  }
  return packet;
}

/** HTTP_TUNNEL_AUTH_RESPONSE (§2.2.10.16): redirection left to the client, the idle timeout in minutes. */
export function tunnelAuthResponse(error: Hresult, idleTimeoutMinutes = 0): Buffer {
  const ok = error === HRESULT.OK;
  const packet = header(PACKET.TUNNEL_AUTH_RESPONSE, ok ? 24 : 16);
  packet.writeUInt32LE(error, 8);
  packet.writeUInt16LE(ok ? TUNNEL_AUTH_RESPONSE_FIELD_REDIR_FLAGS | TUNNEL_AUTH_RESPONSE_FIELD_IDLE_TIMEOUT : 0, 12);
  if (ok) {
    packet.writeUInt32LE(REDIRECT_ENABLE_ALL, 16);
    packet.writeUInt32LE(idleTimeoutMinutes >>> 0, 20);
  }
  return packet;
}

/** HTTP_CHANNEL_RESPONSE (§2.2.10.4): with the channel id when it succeeds. */
export function channelResponse(error: Hresult, channelId = 0): Buffer {
  const ok = error === HRESULT.OK;
  const packet = header(PACKET.CHANNEL_RESPONSE, ok ? 20 : 16);
  packet.writeUInt32LE(error, 8);
  packet.writeUInt16LE(ok ? CHANNEL_RESPONSE_FIELD_CHANNELID : 0, 12);
  if (ok) packet.writeUInt32LE(channelId >>> 0, 16);
  return packet;
}

/** HTTP_DATA_PACKET (§2.2.10.6); `data` is at most MAX_DATA_LENGTH bytes. */
export function dataPacket(data: Buffer): Buffer {
  if (data.length > MAX_DATA_LENGTH) throw new RangeError(`a data packet holds at most ${MAX_DATA_LENGTH} bytes`);
  const packet = header(PACKET.DATA, HEADER_LENGTH + 2 + data.length);
  packet.writeUInt16LE(data.length, 8);
  data.copy(packet, 10);
  return packet;
}

/** HTTP_CLOSE_PACKET (§2.2.10.3), as a close request or its response. */
export function closeChannel(status: Hresult, response = false): Buffer {
  const packet = header(response ? PACKET.CLOSE_CHANNEL_RESPONSE : PACKET.CLOSE_CHANNEL, 12);
  packet.writeUInt32LE(status, 8);
  return packet;
}

/** The name of an HRESULT the gateway sends, for logs and tests. */
export function hresultName(code: number): string {
  const entry = Object.entries(HRESULT).find(([, value]) => value === code);
  return entry ? entry[0] : `0x${code.toString(16).padStart(8, '0')}`;
}

/** Reads little-endian fields from a packet body, failing on any read past its end. */
class Cursor {
  private offset = 0;
  constructor(private readonly buffer: Buffer) {}

  private take(count: number): number {
    if (this.offset + count > this.buffer.length) throw new PacketError('field past the end of the packet');
    const at = this.offset;
    this.offset += count;
    return at;
  }

  u8(): number { return this.buffer.readUInt8(this.take(1)); }
  u16(): number { return this.buffer.readUInt16LE(this.take(2)); }
  u32(): number { return this.buffer.readUInt32LE(this.take(4)); }

  bytes(count: number): Buffer {
    const at = this.take(count);
    return this.buffer.subarray(at, at + count);
  }

  /** A u16 byte count, then that many bytes of UTF-16LE, usually ending in a NUL. */
  utf16String(): string {
    const size = this.u16();
    if (size % 2 !== 0) throw new PacketError('a UTF-16 string has an odd byte count');
    if (size > MAX_NAME_BYTES) throw new PacketError(`a string of ${size} bytes exceeds ${MAX_NAME_BYTES}`);
    return this.bytes(size).toString('utf16le').replace(/\0+$/, '');
  }
}

/**
 * Cuts a byte stream (websocket payloads, HTTP chunks) into whole packets. Holds at most
 * one packet's worth of bytes beyond what was handed out: a length field beyond
 * MAX_PACKET_LENGTH is an error before anything is buffered for it.
 */
export class PacketReader {
  private pending: Buffer[] = [];
  private pendingLength = 0;

  push(bytes: Buffer): Buffer[] {
    if (bytes.length > 0) {
      this.pending.push(bytes);
      this.pendingLength += bytes.length;
    }
    const packets: Buffer[] = [];
    while (this.pendingLength >= HEADER_LENGTH) {
      if (this.pending[0].length < HEADER_LENGTH) this.join();
      const length = announcedLength(this.pending[0])!;
      if (this.pendingLength < length) break;
      // Joined only once the whole packet is there: small pieces of a large packet cost no copies each.
      if (this.pending[0].length < length) this.join();
      const first = this.pending[0];
      packets.push(first.subarray(0, length));
      if (first.length === length) this.pending.shift();
      else this.pending[0] = first.subarray(length);
      this.pendingLength -= length;
    }
    return packets;
  }

  /** Bytes of a packet not yet complete. */
  get buffered(): number {
    return this.pendingLength;
  }

  private join(): void {
    this.pending = [Buffer.concat(this.pending, this.pendingLength)];
  }
}
