/**
 * Resolves what a client asked for (`db1:22`, `10.0.2.5:5432`) to a target in the
 * inventory, following SPEC §2: a target's name first, then a target whose `host` or
 * one of its `alternateHosts` equals the requested host.
 */
import type { Target } from '../domain/resources.js';
import { specialAddressReason } from './special-addresses.js';

export type Resolution =
  | { found: true; target: Target; byName: boolean; port: number }
  | { found: false; reason: 'unknown' }
  | { found: false; reason: 'special'; why: string };

/** `ownAddresses`: the gateway's own, which no request may reach unless a target names them. */
export function resolveDestination(host: string, port: number, targets: readonly Target[], ownAddresses: ReadonlySet<string>): Resolution {
  // OpenSSH lowercases the destination host, so names match without regard to case.
  const wanted = host.toLowerCase();
  const named = targets.find((t) => t.name === host) ?? targets.find((t) => t.name.toLowerCase() === wanted);
  // A target name with port 22 means "its SSH service", wherever the target has it.
  if (named) return { found: true, target: named, byName: true, port: port === 22 ? named.port : port };

  const byHost = targets.find((t) => t.host.toLowerCase() === wanted || t.alternateHosts.some((h) => h.toLowerCase() === wanted));
  if (byHost) return { found: true, target: byHost, byName: false, port };

  const why = specialAddressReason(host, ownAddresses);
  return why ? { found: false, reason: 'special', why } : { found: false, reason: 'unknown' };
}
