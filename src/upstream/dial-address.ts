/**
 * The address the gateway dials for a host name, looked up once and checked (SPEC §3:
 * loopback, link-local and the gateway's own addresses are refused unless a target names
 * them). The checked address is what gets dialed, never the name again, so a name that
 * answers differently the second time (DNS rebinding) cannot slip past the check.
 *
 * Only for the gateway's own dials: a step through a hop is resolved by the hop, in the
 * hop's network, where these addresses mean something else.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { parseAddress } from '../domain/cidr.js';
import { specialAddressReason } from '../inventory/special-addresses.js';

export type Lookup = (host: string) => Promise<string[]>;

export type DialAddress = { ok: true; address: string } | { ok: false; why: string };

/** Every address the system resolver gives for a name, in its order. */
export const systemLookup: Lookup = async (host) => (await dnsLookup(host, { all: true, verbatim: true })).map((a) => a.address);

export async function dialAddressFor(host: string, ownAddresses: ReadonlySet<string>, lookup: Lookup = systemLookup): Promise<DialAddress> {
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  // A target that writes the address itself names it: that is the operator's choice.
  if (isIP(bare) !== 0) return { ok: true, address: bare };
  const addresses = await lookup(bare);
  if (addresses.length === 0) return { ok: false, why: 'name not found' };
  const localhost = /^localhost\.?$/i.test(bare);
  // Every answer is checked: a name with one ordinary and one loopback address is not
  // made safe by which of them the resolver happens to list first.
  for (const address of addresses) {
    const why = specialAddressReason(address, ownAddresses);
    if (!why) continue;
    if (localhost && parseAddress(address)?.range() === 'loopback') continue;
    return { ok: false, why: `resolves to ${address} (${why})` };
  }
  return { ok: true, address: addresses[0] };
}
