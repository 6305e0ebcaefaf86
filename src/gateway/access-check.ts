/**
 * Asks policy about a `direct-tcpip` request and phrases refusals as SPEC §7 does: the
 * texts the OpenSSH client prints for a refused ProxyJump or `-L` channel.
 */
import type { GatewayDeps } from './gateway-deps.js';
import type { User } from '../domain/resources.js';
import type { Route, TcpAccess } from '../inventory/route.js';
import { describeGrant } from '../policy/decide.js';
import { judgeTcpRequest } from '../policy/tcp-request.js';
import { ambiguityReason } from '../policy/decide-route.js';
import { formatHostPort } from '../upstream/dial-tcp.js';

export interface Requester { userName: string; ip: string; mfaVerified: boolean }

export type AccessOutcome =
  | { allowed: true; user: User; route: Route; rule: string }
  | { allowed: false; message: string; access: TcpAccess; target: string | null; reason: string };

/** Decides a `direct-tcpip` request for `host:port` (ProxyJump or -L forwarding). */
export async function checkTcpAccess(deps: Pick<GatewayDeps, 'stores' | 'ownAddresses'>, who: Requester, host: string, port: number): Promise<AccessOutcome> {
  const asked = formatHostPort(host, port);
  // What a refusal before any route is found is audited as: the SSH port is the usual jump.
  const unrouted: TcpAccess = port === 22 ? 'jump' : 'forward';
  const refuse = (reason: string, access: TcpAccess = unrouted, target: string | null = null): AccessOutcome =>
    ({ allowed: false, access, target, reason, message: `jumpgate: ${who.userName} may not reach ${asked} (${reason})` });

  const judgement = await judgeTcpRequest(deps.stores, deps.ownAddresses, who, host, port);
  switch (judgement.kind) {
    case 'no-user': return refuse(judgement.reason);
    case 'unknown': return { allowed: false, access: unrouted, target: null, reason: `no target named ${host}`, message: `jumpgate: no target named ${host}` };
    case 'special': return refuse(judgement.why);
    case 'decided': break;
  }
  const { user, decision } = judgement;
  switch (decision.outcome) {
    case 'allow': return { allowed: true, user, route: decision.route, rule: describeGrant(decision.grant) };
    case 'need': return refuse(`${describeGrant(decision.grant)} needs a second factor (TOTP)`, decision.route.access, decision.route.target.name);
    case 'deny': return refuse(decision.reason, decision.route?.access, decision.route?.target.name ?? null);
    case 'ambiguous': return refuse(ambiguityReason(host, decision.routes));
  }
}
