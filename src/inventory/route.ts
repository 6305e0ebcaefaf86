/**
 * A route (STYLE.md, "Routes as values"; sshpiper's `Upstream`): where one `direct-tcpip`
 * request goes, worked out once by the inventory, judged by policy and carried out by
 * upstream, so nobody re-derives the port, the access kind or the chain of hops.
 */
import type { AccessKind, Target } from '../domain/resources.js';
import type { HopChain } from './hop-chain.js';

export type TcpAccess = Extract<AccessKind, 'jump' | 'forward'>;

export interface Route {
  target: Target;
  /** The port the gateway dials on the target. */
  port: number;
  /** `jump` exactly when `port` is the target's SSH port; any other port is `forward` (SPEC §2.1, §2.3). */
  access: TcpAccess;
  /** How the requested host named the target: its name, or its `host` / one of its `alternateHosts`. */
  resolvedBy: 'name' | 'host';
  /** The hops in front of the target, outermost first. */
  chain: HopChain;
}

export function routeTo(target: Target, port: number, resolvedBy: Route['resolvedBy'], chain: HopChain): Route {
  return { target, port, access: port === target.port ? 'jump' : 'forward', resolvedBy, chain };
}

/** The hop names of a route, outermost first (a broken chain ends where it broke). */
export function viaNames(route: Route): string[] {
  return route.chain.ok ? route.chain.hops.map((h) => h.name) : [...(route.target.via ? [route.target.via] : [])];
}

/**
 * Whether two routes reach the same place the same way: the same addresses in the same
 * order, the same port and access kind, through the same hops. Targets that differ only
 * in their name, labels or logins are then one destination for a `direct-tcpip` request.
 */
export function sameWay(a: Route, b: Route): boolean {
  const addresses = (r: Route) => [r.target.host, ...r.target.alternateHosts].map((h) => h.toLowerCase()).join(' ');
  return a.port === b.port && a.access === b.access && addresses(a) === addresses(b)
    && a.chain.ok === b.chain.ok && viaNames(a).join('>') === viaNames(b).join('>');
}

/** `target db1 (by name), port 2200, access jump, via core-jump > dmz-jump`: what `policy check` prints. */
export function describeRoute(route: Route): string {
  const via = viaNames(route);
  const path = !route.chain.ok ? `via ${via.join(' > ')} (broken: ${route.chain.problem})` : via.length > 0 ? `via ${via.join(' > ')}` : 'dialed directly';
  return `target ${route.target.name} (by ${route.resolvedBy}), port ${route.port}, access ${route.access}, ${path}`;
}
