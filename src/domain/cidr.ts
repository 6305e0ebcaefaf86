import ipaddr from 'ipaddr.js';

/** True when text is an IP address or a CIDR block (IPv4 or IPv6). */
export function isCidr(text: string): boolean {
  try {
    if (text.includes('/')) ipaddr.parseCIDR(text);
    else ipaddr.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Parses an address as the socket reports it, unwrapping IPv4-mapped IPv6 (`::ffff:10.0.0.1`). */
export function parseAddress(text: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  if (!ipaddr.isValid(text)) return null;
  return ipaddr.process(text);
}

function parseBlock(block: string): [ipaddr.IPv4 | ipaddr.IPv6, number] {
  if (block.includes('/')) return ipaddr.parseCIDR(block);
  const address = ipaddr.process(block);
  return [address, address.kind() === 'ipv4' ? 32 : 128];
}

/** True when the address lies in any of the blocks (a plain address is a block of one). */
export function addressInAny(address: string, blocks: readonly string[]): boolean {
  const parsed = parseAddress(address);
  if (!parsed) return false;
  return blocks.some((block) => {
    const [range, bits] = parseBlock(block);
    return parsed.kind() === range.kind() && parsed.match(range, bits);
  });
}
