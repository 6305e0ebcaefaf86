/**
 * The PROXY protocol header (HAProxy's proxy-protocol.txt, v1 text and v2 binary) that a load
 * balancer sends before the client's bytes, so the gateway sees the client's address (SPEC §10).
 * The bytes are parsed by proxy-protocol-js; here the header is framed (its length found and
 * bounded before anything is parsed) and the parsed address checked.
 */
import { isIP } from 'node:net';
import proxyProtocol from 'proxy-protocol-js';
import ipaddr from 'ipaddr.js';

const { V1ProxyProtocol, V2ProxyProtocol, Command, INETProtocol, IPv4ProxyAddress, IPv6ProxyAddress } = proxyProtocol;

/** The v2 signature (§2.2): 12 bytes no SSH client, and no HTTP client, ever starts with. */
const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const V1_SIGNATURE = Buffer.from('PROXY ');
/** §2.1: a v1 line is at most 107 bytes with its CRLF. */
const V1_MAX = 107;
/** v2: 16 bytes, then addresses (at most 216) and TLVs. HAProxy's TLVs stay far below this. */
const V2_MAX = 16 + 2048;

export type ProxyHeader =
  /** The client's address as the proxy saw it. */
  | { kind: 'proxied'; ip: string; port: number; length: number }
  /** The proxy speaking for itself (a health check, v2 LOCAL or v1 UNKNOWN): no client behind it. */
  | { kind: 'local'; length: number }
  | { kind: 'incomplete' }
  | { kind: 'invalid'; why: string };

/** Whether the bytes begin (or could begin, so far) like a PROXY header of either version. */
export function looksLikeProxyHeader(data: Buffer): boolean {
  const begins = (signature: Buffer) => data.subarray(0, signature.length).equals(signature.subarray(0, Math.min(signature.length, data.length)));
  return data.length > 0 && (begins(V1_SIGNATURE) || begins(V2_SIGNATURE));
}

/** Frames and parses the header at the start of `data` (what arrived so far). */
export function parseProxyHeader(data: Buffer): ProxyHeader {
  if (data.length === 0) return { kind: 'incomplete' };
  if (!looksLikeProxyHeader(data)) return { kind: 'invalid', why: 'the connection did not begin with a PROXY header' };
  return data[0] === V1_SIGNATURE[0] ? parseV1(data) : parseV2(data);
}

function parseV1(data: Buffer): ProxyHeader {
  const end = data.subarray(0, V1_MAX).indexOf('\r\n');
  if (end < 0) return data.length >= V1_MAX ? { kind: 'invalid', why: 'PROXY v1 line longer than 107 bytes' } : { kind: 'incomplete' };
  const length = end + 2;
  const line = data.subarray(0, length).toString('latin1');
  if (/^PROXY UNKNOWN[ \r]/.test(line)) return { kind: 'local', length };
  let parsed: InstanceType<typeof V1ProxyProtocol>;
  try {
    parsed = V1ProxyProtocol.parse(line);
  } catch {
    return { kind: 'invalid', why: 'malformed PROXY v1 line' };
  }
  const { ipAddress, port } = parsed.source;
  const family = parsed.inetProtocol === INETProtocol.TCP4 ? 4 : 6;
  if (isIP(ipAddress) !== family || !(port >= 1 && port <= 65535)) return { kind: 'invalid', why: 'PROXY v1 line with a bad source address' };
  return { kind: 'proxied', ip: ipAddress, port, length };
}

function parseV2(data: Buffer): ProxyHeader {
  if (data.length < 16) return { kind: 'incomplete' };
  if (!data.subarray(0, 12).equals(V2_SIGNATURE)) return { kind: 'invalid', why: 'malformed PROXY v2 signature' };
  const length = 16 + data.readUInt16BE(14);
  if (length > V2_MAX) return { kind: 'invalid', why: `PROXY v2 header of ${length} bytes (more than ${V2_MAX})` };
  if (data.length < length) return { kind: 'incomplete' };
  let parsed: InstanceType<typeof V2ProxyProtocol>;
  try {
    parsed = V2ProxyProtocol.parse(new Uint8Array(data.subarray(0, length)));
  } catch {
    return { kind: 'invalid', why: 'malformed PROXY v2 header' };
  }
  if (parsed.command === Command.LOCAL) return { kind: 'local', length };
  const address = parsed.proxyAddress;
  if (address instanceof IPv4ProxyAddress) return { kind: 'proxied', ip: address.sourceAddress.address.join('.'), port: address.sourcePort, length };
  if (address instanceof IPv6ProxyAddress) {
    const ip = ipaddr.fromByteArray([...address.sourceAddress.address]);
    // An IPv4 client behind an IPv6 proxy arrives mapped (::ffff:a.b.c.d): rules and bans see a.b.c.d.
    const plain = ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress() ? (ip as ipaddr.IPv6).toIPv4Address().toString() : ip.toString();
    return { kind: 'proxied', ip: plain, port: address.sourcePort, length };
  }
  return { kind: 'invalid', why: 'PROXY v2 header without an IPv4 or IPv6 client address' };
}
