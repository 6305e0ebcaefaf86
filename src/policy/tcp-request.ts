/**
 * Judges a `direct-tcpip` request (ProxyJump or `-L`) against the store as it is now: the
 * user (re-read per request, so a disabled user or a revoked role stops new channels at
 * once), the inventory and the user's roles. The gateway and `jumpgate policy check` both
 * ask here, so the check says exactly what the gateway does; each phrases the answer.
 */
import type { Stores } from '../store/store.js';
import type { User } from '../domain/resources.js';
import { resolveDestination } from '../inventory/resolve-destination.js';
import { decideRoute, type RouteDecision } from './decide-route.js';
import { rolesOf, type RoleStores } from './effective-roles.js';

export interface TcpRequester {
  userName: string;
  /** The client's address; undefined skips source checks. */
  ip?: string;
  mfaVerified: boolean;
}

export type TcpJudgement =
  | { kind: 'no-user'; reason: 'user removed' | 'user disabled' }
  | { kind: 'unknown' }
  | { kind: 'special'; why: string }
  | { kind: 'decided'; user: User; decision: RouteDecision };

export async function judgeTcpRequest(
  stores: Pick<Stores, 'users' | 'targets'> & RoleStores, ownAddresses: ReadonlySet<string>, who: TcpRequester, host: string, port: number,
): Promise<TcpJudgement> {
  const user = await stores.users.get(who.userName);
  if (!user || user.disabled) return { kind: 'no-user', reason: user ? 'user disabled' : 'user removed' };
  const resolution = resolveDestination(host, port, await stores.targets.list(), ownAddresses);
  if (!resolution.found) return resolution.reason === 'unknown' ? { kind: 'unknown' } : { kind: 'special', why: resolution.why };
  const roles = await rolesOf(stores, user);
  const decision = decideRoute({ user, roles, sourceIp: who.ip, mfaVerified: who.mfaVerified }, resolution.routes);
  return { kind: 'decided', user, decision };
}
