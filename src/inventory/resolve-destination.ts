/**
 * Resolves what a client asked for (`db1:22`, `10.0.2.5:5432`) to routes, following SPEC
 * §2.1: a target's name first, then the targets whose `host` or one of whose
 * `alternateHosts` equals the requested host.
 *
 * - By name, port 22 means the target's SSH service: the route dials the target's `port`.
 *   Any other port is dialed as asked.
 * - By host or address, the port is dialed as asked, never remapped: `10.0.2.5:22` is port
 *   22 of that host, whatever a target there calls its SSH port.
 * - Several targets may share a host. All of them are returned (by name order): which one
 *   the request means is for policy to say (what the user is granted), not for the order
 *   of the inventory, so that adding an unrelated target changes nobody's decision.
 */
import { isIP } from 'node:net';
import type { Target } from '../domain/resources.js';
import { parseAddress } from '../domain/cidr.js';
import { specialAddressReason } from './special-addresses.js';
import { hopChain } from './hop-chain.js';
import { routeTo, type Route } from './route.js';

export type Resolution =
  | { found: true; routes: Route[] }
  | { found: false; reason: 'unknown' }
  | { found: false; reason: 'special'; why: string };

/** The target a name means: an exact match first, then one that differs only in case (OpenSSH lowercases host names). */
export function targetNamed(targets: readonly Target[], name: string): Target | undefined {
  const wanted = name.toLowerCase();
  return targets.find((t) => t.name === name) ?? targets.find((t) => t.name.toLowerCase() === wanted);
}

/** `ownAddresses`: the gateway's own, which no request may reach unless a target names them. */
export function resolveDestination(host: string, port: number, targets: readonly Target[], ownAddresses: ReadonlySet<string>): Resolution {
  const byName = new Map(targets.map((t) => [t.name, t]));
  const chainOf = (target: Target) => hopChain(target, (name) => byName.get(name));

  const named = targetNamed(targets, host);
  if (named) return { found: true, routes: [routeTo(named, port === 22 ? named.port : port, 'name', chainOf(named))] };

  const matches = hostMatcher(host);
  const sharing = targets
    .filter((t) => matches(t.host) || t.alternateHosts.some(matches))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (sharing.length > 0) return { found: true, routes: sharing.map((t) => routeTo(t, port, 'host', chainOf(t))) };

  const why = specialAddressReason(host, ownAddresses);
  return why ? { found: false, reason: 'special', why } : { found: false, reason: 'unknown' };
}

/**
 * Host names match without regard to case; IP addresses match in any spelling of the
 * same address (`::1`, `[::1]`, `0:0::1`), as both dial the same place.
 */
function hostMatcher(requested: string): (host: string) => boolean {
  const wanted = requested.toLowerCase();
  const address = canonicalAddress(requested);
  return (host) => host.toLowerCase() === wanted || (address !== null && canonicalAddress(host) === address);
}

function canonicalAddress(host: string): string | null {
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  // Only what the socket layer reads as an address: not inet_aton's `10.1` or octal forms.
  if (isIP(bare) === 0) return null;
  return parseAddress(bare)?.toString() ?? null;
}
