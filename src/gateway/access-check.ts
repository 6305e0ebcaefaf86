/**
 * Gathers what a policy decision needs from the store (the user as it is now, their roles,
 * the inventory) and phrases refusals as SPEC §7 does. Re-reading the user per request
 * means a user disabled or a role revoked stops new channels at once.
 */
import type { GatewayDeps } from './gateway-deps.js';
import type { AccessKind, Target, User } from '../domain/resources.js';
import { decide, describeGrant } from '../policy/decide.js';
import { resolveDestination } from '../inventory/resolve-destination.js';
import { formatHostPort } from '../upstream/dial-tcp.js';

export interface Requester { userName: string; ip: string; mfaVerified: boolean }

export type AccessOutcome =
  | { allowed: true; user: User; target: Target; access: AccessKind; port: number; rule: string }
  | { allowed: false; message: string; access: AccessKind; target: string | null; reason: string };

/** Decides a `direct-tcpip` request for `host:port` (ProxyJump or -L forwarding). */
export async function checkTcpAccess(deps: Pick<GatewayDeps, 'stores' | 'ownAddresses'>, who: Requester, host: string, port: number): Promise<AccessOutcome> {
  const asked = formatHostPort(host, port);
  const guessAccess: AccessKind = port === 22 ? 'jump' : 'forward';
  const user = await deps.stores.users.get(who.userName);
  if (!user || user.disabled) {
    const reason = user ? 'user disabled' : 'user removed';
    return { allowed: false, access: guessAccess, target: null, reason, message: `jumpgate: ${who.userName} may not reach ${asked} (${reason})` };
  }
  const resolution = resolveDestination(host, port, await deps.stores.targets.list(), deps.ownAddresses);
  if (!resolution.found) {
    if (resolution.reason === 'unknown') {
      return { allowed: false, access: guessAccess, target: null, reason: `no target named ${host}`, message: `jumpgate: no target named ${host}` };
    }
    return { allowed: false, access: guessAccess, target: null, reason: resolution.why, message: `jumpgate: ${user.name} may not reach ${asked} (${resolution.why})` };
  }
  const { target } = resolution;
  // The SSH port of a target is a jump; any other port is forwarding (SPEC §2.1, §2.3).
  const access: AccessKind = port === 22 || port === target.port ? 'jump' : 'forward';
  const roles = (await Promise.all(user.roles.map((name) => deps.stores.roles.get(name)))).filter((r) => r !== null);
  const decision = decide({ user, roles, target, access, port, sourceIp: who.ip, mfaVerified: who.mfaVerified });
  if (decision.outcome === 'allow') {
    return { allowed: true, user, target, access, port: resolution.port, rule: describeGrant(decision.grant) };
  }
  const reason = decision.outcome === 'need' ? `${describeGrant(decision.grant)} needs a second factor (TOTP)` : decision.reason;
  return { allowed: false, access, target: target.name, reason, message: `jumpgate: ${user.name} may not reach ${asked} (${reason})` };
}
