import { networkInterfaces } from 'node:os';
import { parseAddress } from '../domain/cidr.js';

/**
 * Why an address is one the gateway refuses unless a target names it (SPEC §3): the
 * gateway itself, loopback, link-local (cloud metadata lives there), unspecified.
 */
export function specialAddressReason(host: string, ownAddresses: ReadonlySet<string>): string | null {
  if (host.toLowerCase() === 'localhost' || host.toLowerCase().endsWith('.localhost')) return 'loopback addresses are refused unless a target names them';
  const address = parseAddress(host.replace(/^\[|\]$/g, ''));
  if (!address) return null;
  const range = address.range();
  if (range === 'loopback') return 'loopback addresses are refused unless a target names them';
  if (range === 'linkLocal') return 'link-local addresses are refused unless a target names them';
  if (range === 'unspecified') return 'the unspecified address is refused';
  if (ownAddresses.has(address.toString())) return 'the gateway\'s own addresses are refused unless a target names them';
  return null;
}

/** The addresses of this machine's interfaces, normalised as parseAddress prints them. */
export function localAddresses(): Set<string> {
  const addresses = new Set<string>();
  for (const entries of Object.values(networkInterfaces())) {
    for (const entry of entries ?? []) {
      const parsed = parseAddress(entry.address.split('%')[0]);
      if (parsed) addresses.add(parsed.toString());
    }
  }
  return addresses;
}
