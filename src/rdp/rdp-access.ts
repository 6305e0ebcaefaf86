/**
 * Decides an RD Gateway channel (SPEC §11) against the store as it is now: the token's user
 * (re-read, so a disabled user or a revoked role stops unused tokens), the token's target,
 * the resource the client asked for, and the client's address. `jumpgate rdp-file` asks
 * the same question (without a source) before it issues a token, and `policy check
 * --access rdp` asks it too.
 */
import type { Stores } from '../store/store.js';
import type { Target, User } from '../domain/resources.js';
import { decide, describeGrant, rdpPortOf, RDP_DEFAULT_PORT, type RuleRef } from '../policy/decide.js';
import { resolveDestination, targetNamed } from '../inventory/resolve-destination.js';
import { hopChain, type HopChain } from '../inventory/hop-chain.js';
import { rolesOf, type RoleStores } from '../policy/effective-roles.js';

/** Where an allowed channel goes: what `UpstreamPool.open` dials. */
export interface RdpRoute { target: Target; port: number; chain: HopChain }

export type RdpDecision =
  | { allowed: true; user: User; route: RdpRoute; grant: RuleRef; rule: string }
  | { allowed: false; reason: string; target: string | null };

export interface RdpRequest {
  user: string;
  /** The target the token was issued for. */
  target: string;
  /** The resource the client asked for (`/v:` of xfreerdp), and its port; null when only checking the grant. */
  host: string | null;
  port: number;
  /** The client's address; undefined skips source checks (issuing a token from the command line). */
  sourceIp?: string;
  /**
   * Whether the person passed a second factor. Checked when a token is issued (a console asks
   * for the code; the command line is the operator's act and passes true); at connect time
   * the token stands for it (SPEC §11).
   */
  mfaVerified: boolean;
}

export async function decideRdp(stores: Pick<Stores, 'users' | 'targets'> & RoleStores, ownAddresses: ReadonlySet<string>, request: RdpRequest): Promise<RdpDecision> {
  const user = await stores.users.get(request.user);
  if (!user || user.disabled) return { allowed: false, reason: user ? `${request.user} is disabled` : `no user named ${request.user}`, target: request.target };
  const targets = await stores.targets.list();
  const target = targetNamed(targets, request.target);
  if (!target || target.name !== request.target) return { allowed: false, reason: `no target named ${request.target}`, target: null };
  if (request.host !== null) {
    const resolution = resolveDestination(request.host, request.port, targets, ownAddresses);
    if (!resolution.found || !resolution.routes.some((route) => route.target.name === target.name)) {
      return { allowed: false, reason: `the gateway access token is for ${target.name}, not ${request.host}`, target: target.name };
    }
  }
  // A request for the target at the standard port goes to its RDP service (SPEC §11).
  const port = request.port === RDP_DEFAULT_PORT ? rdpPortOf(target) : request.port;
  const roles = await rolesOf(stores, user);
  const decision = decide({ user, roles, target, access: 'rdp', port, sourceIp: request.sourceIp, mfaVerified: request.mfaVerified });
  if (decision.outcome === 'need') return { allowed: false, reason: `${describeGrant(decision.grant)} needs a second factor (TOTP)`, target: target.name };
  if (decision.outcome === 'deny') return { allowed: false, reason: decision.reason, target: target.name };
  const byName = new Map(targets.map((t) => [t.name, t]));
  return { allowed: true, user, route: { target, port, chain: hopChain(target, (name) => byName.get(name)) }, grant: decision.grant, rule: describeGrant(decision.grant) };
}
