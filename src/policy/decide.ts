/**
 * The policy engine (SPEC §3): pure, no I/O. Deny is the default; a request is allowed
 * only when one rule of one of the user's roles grants that target, access kind, login or
 * port, from that source address, with the factors the session has.
 */
import type { AccessKind, Role, Rule, Target, User } from '../domain/resources.js';
import { addressInAny } from '../domain/cidr.js';

export interface AccessRequest {
  user: User;
  /** The user's roles as found in the store; names the store lacks are simply absent. */
  roles: readonly Role[];
  target: Target;
  access: AccessKind;
  /** For jump, forward and rdp: the port the gateway will dial (a route's port, src/inventory/route.ts). */
  port?: number;
  /** The login on the target, for session and sftp. */
  login?: string;
  /** The client's address; undefined skips source checks (listing what a user may reach). */
  sourceIp?: string;
  /** Whether this connection passed a TOTP second factor. */
  mfaVerified: boolean;
}

export interface RuleRef { role: string; index: number; rule: Rule }

export type Decision =
  | { outcome: 'allow'; grant: RuleRef }
  | { outcome: 'deny'; reason: string }
  | { outcome: 'need'; factor: 'totp'; grant: RuleRef };

/** How far a rule got before failing: the furthest one explains a denial best. */
const enum Stage { Target = 1, Access, PortOrLogin, Source, Factor }

interface Miss { stage: Stage; reason: string }

export function decide(request: AccessRequest): Decision {
  const { user, target } = request;
  if (request.sourceIp !== undefined && user.sourceCidrs.length > 0 && !addressInAny(request.sourceIp, user.sourceCidrs)) {
    return { outcome: 'deny', reason: `${user.name} may not connect from ${request.sourceIp}` };
  }
  let best: Miss = { stage: 0 as Stage, reason: user.roles.length === 0 && request.roles.length === 0 ? `${user.name} has no roles` : `no rule grants ${target.name}` };
  let needsFactor: RuleRef | null = null;

  for (const role of request.roles) {
    for (const [index, rule] of role.allow.entries()) {
      const miss = checkRule(rule, request);
      if (miss === null) return { outcome: 'allow', grant: { role: role.name, index, rule } };
      if (miss.stage === Stage.Factor && !needsFactor) needsFactor = { role: role.name, index, rule };
      if (miss.stage > best.stage) best = miss;
    }
  }
  if (needsFactor) return { outcome: 'need', factor: 'totp', grant: needsFactor };
  return { outcome: 'deny', reason: best.reason };
}

export function ruleMatchesTarget(rule: Rule, target: Target): boolean {
  if (rule.targets?.some((name) => name === '*' || name === target.name)) return true;
  if (rule.labels && Object.keys(rule.labels).length > 0) {
    return Object.entries(rule.labels).every(([key, value]) => target.labels[key] === value);
  }
  return false;
}

function checkRule(rule: Rule, request: AccessRequest): Miss | null {
  const { target, access } = request;
  if (!ruleMatchesTarget(rule, target)) return { stage: Stage.Target, reason: `no rule grants ${target.name}` };
  if (!rule.access.includes(access)) return { stage: Stage.Access, reason: `no rule grants ${access} access to ${target.name}` };

  if ((access === 'jump' || access === 'forward') && request.port !== undefined && !portGranted(rule, access, request.port, target)) {
    return { stage: Stage.PortOrLogin, reason: `no rule grants port ${request.port}` };
  }
  if (access === 'rdp' && request.port !== undefined && !rdpPortGranted(rule, request.port, target)) {
    return { stage: Stage.PortOrLogin, reason: `no rule grants port ${request.port}` };
  }
  if ((access === 'session' || access === 'sftp') && request.login !== undefined && !loginGranted(rule, request.login, target)) {
    return { stage: Stage.PortOrLogin, reason: `no rule grants login ${request.login}` };
  }
  if (request.sourceIp !== undefined && rule.sourceCidrs && rule.sourceCidrs.length > 0 && !addressInAny(request.sourceIp, rule.sourceCidrs)) {
    return { stage: Stage.Source, reason: `no rule grants access from ${request.sourceIp}` };
  }
  if (rule.mfa && !request.mfaVerified) return { stage: Stage.Factor, reason: 'the rule needs a second factor (TOTP)' };
  return null;
}

/**
 * Whether a rule grants the port the gateway will dial.
 *
 * A rule without `ports` grants `jump` to the target's SSH port (its `port`) and nothing
 * to `forward`. In a rule's `ports`, 22 stands for the target's SSH port, as `db1:22`
 * in a request by name does (SPEC §2.1), so that `ports: [22]` grants ProxyJump to a
 * target whose sshd listens on 2200, and the same destination asked by name (`db1:22`)
 * or by address (`10.0.2.5:2200`) gets the same decision. It never grants the literal
 * port 22 of such a target's host: that is another service, whatever listens there, and
 * an operator who means it makes it a target of its own. Every other number is literal.
 */
function portGranted(rule: Rule, access: AccessKind, port: number, target: Target): boolean {
  if (!rule.ports) return access === 'jump' && port === target.port;
  return rule.ports.some((granted) => (granted === 22 ? target.port : granted) === port);
}

/** The port of a target's RDP service: its `rdpPort`, else the standard 3389. */
export const RDP_DEFAULT_PORT = 3389;
export function rdpPortOf(target: Target): number {
  return target.rdpPort ?? RDP_DEFAULT_PORT;
}

/**
 * Whether a rule grants RDP to the port the gateway will dial (SPEC §11). Without `ports` it
 * grants the target's RDP port; in `ports`, 3389 stands for the target's RDP port, as 22 does
 * for its SSH port, so `ports: [3389]` keeps working for a target whose RDP listens elsewhere.
 */
function rdpPortGranted(rule: Rule, port: number, target: Target): boolean {
  if (!rule.ports) return port === rdpPortOf(target);
  return rule.ports.some((granted) => (granted === RDP_DEFAULT_PORT ? rdpPortOf(target) : granted) === port);
}

/** A rule without `logins` grants only the target's default login. */
function loginGranted(rule: Rule, login: string, target: Target): boolean {
  if (rule.logins) return rule.logins.includes(login);
  return target.login !== undefined && login === target.login;
}

export function describeGrant(grant: RuleRef): string {
  return `role ${grant.role}, rule ${grant.index + 1}`;
}
