/**
 * Decides a `direct-tcpip` request among the routes its destination resolves to (one by
 * name; every target sharing the host by host or address). Pure, like decide().
 *
 * Only the routes the user is granted count, so a target the user may not reach never
 * changes the decision: adding one to the inventory takes nothing from anybody. When the
 * user is granted several that reach the destination differently (another chain of hops,
 * another SSH port, other alternate hosts), guessing could send them somewhere they did
 * not mean; the request is refused as ambiguous and they connect by name instead.
 */
import { sameWay, type Route } from '../inventory/route.js';
import { decide, type AccessRequest, type Decision, type RuleRef } from './decide.js';

export type RouteRequest = Omit<AccessRequest, 'target' | 'access' | 'port' | 'login'>;

export type RouteDecision =
  | { outcome: 'allow'; route: Route; grant: RuleRef }
  | { outcome: 'need'; factor: 'totp'; route: Route; grant: RuleRef }
  | { outcome: 'deny'; reason: string; route: Route | null }
  | { outcome: 'ambiguous'; routes: Route[] };

interface Judged { route: Route; decision: Decision }

export function decideRoute(request: RouteRequest, routes: readonly Route[]): RouteDecision {
  const judged: Judged[] = routes.map((route) => ({
    route,
    decision: decide({ ...request, target: route.target, access: route.access, port: route.port }),
  }));
  for (const outcome of ['allow', 'need'] as const) {
    const granted = distinctWays(judged.filter((j) => j.decision.outcome === outcome));
    if (granted.length > 1) return { outcome: 'ambiguous', routes: granted.map((j) => j.route) };
    const [only] = granted;
    if (only && only.decision.outcome === 'allow') return { outcome: 'allow', route: only.route, grant: only.decision.grant };
    if (only && only.decision.outcome === 'need') return { outcome: 'need', factor: 'totp', route: only.route, grant: only.decision.grant };
  }
  return { outcome: 'deny', reason: denialReason(judged), route: judged.length === 1 ? judged[0].route : null };
}

/** Why an ambiguous request is refused, in the words both the gateway and `policy check` print. */
export function ambiguityReason(host: string, routes: readonly Route[]): string {
  return `ambiguous: ${host} is the host of ${routes.map((r) => r.target.name).join(', ')}, each reached differently; connect by target name`;
}

/** Keeps the first (by name) of routes that reach the destination the same way. */
function distinctWays(judged: Judged[]): Judged[] {
  return judged.filter((j, i) => judged.findIndex((k) => sameWay(k.route, j.route)) === i);
}

/** One target: its reason. Several: the reason they share, or each target's own. */
function denialReason(judged: Judged[]): string {
  const reasons = judged.map((j) => (j.decision.outcome === 'deny' ? j.decision.reason : ''));
  if (new Set(reasons).size === 1) return reasons[0] ?? 'no target';
  return judged.map((j, i) => (reasons[i].includes(j.route.target.name) ? reasons[i] : `${j.route.target.name}: ${reasons[i]}`)).join('; ');
}
