/**
 * `policy check` (CLI and HTTP API): what the gateway would decide for a user, a
 * destination and an access kind, by the very code it runs, and the route it resolved.
 */
import { decide, type Decision, type RuleRef } from './decide.js';
import { judgeTcpRequest } from './tcp-request.js';
import { targetNamed } from '../inventory/resolve-destination.js';
import { localAddresses } from '../inventory/special-addresses.js';
import { viaNames, type Route } from '../inventory/route.js';
import type { AccessKind, Rule } from '../domain/resources.js';
import type { Stores } from '../store/store.js';
import { ambiguityReason } from './decide-route.js';
import { decideRdp } from '../rdp/rdp-access.js';
import { rolesOf, heldRoles } from './effective-roles.js';

export interface PolicyQuestion {
  user: string;
  /** A target name, or a host or address as in `ssh -J`. */
  destination: string;
  /** Default: what the port is, as the gateway decides (jump for the SSH port). */
  access?: AccessKind;
  /** As the client asks it, for jump and forward (default 22), and rdp (default 3389, the target's rdpPort). */
  port?: number;
  login?: string;
  from?: string;
  mfa?: boolean;
}

/** Where a role that decided came from when the user does not hold it statically: an approved access request. */
export interface RequestGrant { id: string; until: string }

/** The decision, and the route(s) the request resolved to. */
export type Verdict =
  | { outcome: 'allow' | 'need'; grant: RuleRef; routes: Route[]; request?: RequestGrant }
  | { outcome: 'deny'; reason: string; routes: Route[] };

/** A verdict, or the user or target the question names does not exist. */
export type PolicyAnswer = { found: true; verdict: Verdict } | { found: false; message: string };

export async function checkPolicy(stores: Stores, question: PolicyQuestion): Promise<PolicyAnswer> {
  const kind = question.access;
  const answer = kind === 'session' || kind === 'sftp' ? await checkSession(stores, question, kind)
    : kind === 'rdp' ? await checkRdp(stores, question) : await checkTcp(stores, question, kind);
  return withRequestGrant(stores, question.user, answer);
}

/** Names the access request behind the deciding role, when the role is granted rather than held (SPEC §12). */
async function withRequestGrant(stores: Stores, userName: string, answer: PolicyAnswer): Promise<PolicyAnswer> {
  if (!answer.found || answer.verdict.outcome === 'deny') return answer;
  const user = await stores.users.get(userName);
  const grant = user ? (await heldRoles(stores, user)).grants.get(answer.verdict.grant.role) : undefined;
  if (!grant?.until) return answer;
  return { found: true, verdict: { ...answer.verdict, request: { id: grant.id, until: grant.until } } };
}

/** The RD Gateway's channel decision for a token of USER for TARGET (a name, as in rdp-file), by the gateway's own code. */
async function checkRdp(stores: Stores, question: PolicyQuestion): Promise<PolicyAnswer> {
  if (!(await stores.users.get(question.user))) return { found: false, message: `no user named ${question.user}` };
  const target = targetNamed(await stores.targets.list(), question.destination);
  if (!target) return { found: false, message: `no target named ${question.destination}` };
  const decision = await decideRdp(stores, localAddresses(), {
    user: question.user, target: target.name, host: target.name, port: question.port ?? 3389, sourceIp: question.from, mfaVerified: question.mfa === true,
  });
  return verdict(decision.allowed ? { outcome: 'allow', grant: decision.grant, routes: [] } : { outcome: 'deny', reason: decision.reason, routes: [] });
}

/** A proxied session names its target (`alice+db1`): by name only, as the gateway does. */
async function checkSession(stores: Stores, question: PolicyQuestion, access: 'session' | 'sftp'): Promise<PolicyAnswer> {
  const user = await stores.users.get(question.user);
  if (!user) return { found: false, message: `no user named ${question.user}` };
  const target = targetNamed(await stores.targets.list(), question.destination);
  if (!target) return { found: false, message: `no target named ${question.destination}` };
  const login = question.login ?? target.login;
  if (user.disabled) return verdict({ outcome: 'deny', reason: `${user.name} is disabled`, routes: [] });
  if (!login) return verdict({ outcome: 'deny', reason: `${target.name} has no default login; give a login`, routes: [] });
  const roles = await rolesOf(stores, user);
  return verdict(fromDecision(decide({ user, roles, target, access, login, sourceIp: question.from, mfaVerified: question.mfa === true }), []));
}

/** ProxyJump and `-L`: resolved and judged by the very code the gateway runs for a `direct-tcpip` request. */
async function checkTcp(stores: Stores, question: PolicyQuestion, asked: AccessKind | undefined): Promise<PolicyAnswer> {
  const { user: userName, destination: host } = question;
  const port = question.port ?? 22;
  const judgement = await judgeTcpRequest(stores, localAddresses(), { userName, ip: question.from, mfaVerified: question.mfa === true }, host, port);
  switch (judgement.kind) {
    case 'no-user':
      if (judgement.reason === 'user removed') return { found: false, message: `no user named ${userName}` };
      return verdict({ outcome: 'deny', reason: `${userName} is disabled`, routes: [] });
    case 'unknown': return { found: false, message: `no target named ${host}` };
    case 'special': return verdict({ outcome: 'deny', reason: judgement.why, routes: [] });
    case 'decided': break;
  }
  const { decision } = judgement;
  if (decision.outcome === 'ambiguous') return verdict({ outcome: 'deny', reason: ambiguityReason(host, decision.routes), routes: decision.routes });
  const routes = decision.route ? [decision.route] : [];
  // The gateway takes the access kind from the route; a different access is answered, not assumed.
  if (asked && decision.route && asked !== decision.route.access) {
    const { target, port: dialed, access } = decision.route;
    const why = access === 'jump' ? `port ${dialed} is ${target.name}'s SSH port` : `port ${dialed} is not ${target.name}'s SSH port (${target.port})`;
    return verdict({ outcome: 'deny', reason: `${why}: access ${access}, not ${asked}`, routes });
  }
  if (decision.outcome === 'deny') return verdict({ outcome: 'deny', reason: decision.reason, routes });
  return verdict({ outcome: decision.outcome, grant: decision.grant, routes });
}

function verdict(value: Verdict): PolicyAnswer {
  return { found: true, verdict: value };
}

function fromDecision(decision: Decision, routes: Route[]): Verdict {
  return decision.outcome === 'deny' ? { outcome: 'deny', reason: decision.reason, routes } : { outcome: decision.outcome, grant: decision.grant, routes };
}

/** A rule in one line, for explanations: `targets db1; access jump,forward; ports 22`. */
export function ruleText(rule: Rule): string {
  const parts = [
    rule.targets ? `targets ${rule.targets.join(',')}` : null,
    rule.labels ? `labels ${Object.entries(rule.labels).map(([k, v]) => `${k}=${v}`).join(',')}` : null,
    `access ${rule.access.join(',')}`,
    rule.ports ? `ports ${rule.ports.join(',')}` : null,
    rule.logins ? `logins ${rule.logins.join(',')}` : null,
    rule.sourceCidrs ? `from ${rule.sourceCidrs.join(',')}` : null,
    rule.mfa ? 'mfa' : null,
  ];
  return parts.filter(Boolean).join('; ');
}

/** The verdict as `policy check -o json` and `POST /api/v1/policy/check` give it. */
export function verdictSummary(verdict: Verdict) {
  const routes = verdict.routes.map((r) => ({
    target: r.target.name, resolvedBy: r.resolvedBy, port: r.port, access: r.access, via: viaNames(r),
  }));
  return verdict.outcome === 'deny'
    ? { decision: 'deny' as const, reason: verdict.reason, routes }
    : {
      decision: verdict.outcome === 'allow' ? 'allow' as const : 'need-mfa' as const, role: verdict.grant.role, rule: verdict.grant.index + 1, grants: ruleText(verdict.grant.rule), routes,
      ...(verdict.request ? { request: verdict.request } : {}),
    };
}
