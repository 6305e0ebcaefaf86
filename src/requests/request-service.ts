/**
 * The steps of an access request (SPEC §12) — file, approve or deny, expire — each checked
 * here and taken by the store in one transaction with its audit event. Refusals are values
 * with a code; each edge (SSH exec, HTTP, CLI) phrases them its own way.
 */
import type { Runtime } from '../main.js';
import type { AuditDraft } from '../audit/events.js';
import type { ChangeAudit, RequestStep } from '../store/store.js';
import type { Role } from '../domain/resources.js';
import { RESOURCE_NAME } from '../domain/resources.js';
import { formatDuration } from '../config/duration.js';
import { adminLevelOf } from '../http/api/principal.js';
import { heldRoles } from '../policy/effective-roles.js';
import { alertOnSteps } from './request-alerts.js';
import {
  MAX_PENDING_PER_USER, REQUEST_ID, checkDecisionReason, checkDuration, checkReason, mayDecide, newRequest, type AccessRequestRecord,
} from './access-request.js';

export type RequestDeps = Pick<Runtime, 'stores' | 'audit' | 'settings'>;

/** Takes a step (store and audit in one transaction), then raises the alerts the rules ask for. */
async function step<T>(deps: RequestDeps, commit: (seal: ChangeAudit['seal']) => Promise<RequestStep<T>>): Promise<T> {
  const { result, events } = await deps.audit.recordStep(commit);
  await alertOnSteps(deps, events);
  return result;
}

export type RefusalCode = 'invalid' | 'not-found' | 'forbidden' | 'conflict';
export type Outcome<T> = { ok: true; value: T } | { ok: false; code: RefusalCode; message: string };

const refuse = (code: RefusalCode, message: string): { ok: false; code: RefusalCode; message: string } => ({ ok: false, code, message });

export interface Ask { role: string; for?: string; reason?: string }

/** A user asks for a requestable role for a while, with a reason. */
export async function fileRequest(deps: RequestDeps, who: { user: string; src: string | null }, ask: Ask, now = new Date()): Promise<Outcome<AccessRequestRecord>> {
  const user = await deps.stores.users.get(who.user);
  if (!user || user.disabled) return refuse('forbidden', `${who.user} may not file requests`);
  // The role name is what a stranger typed: checked before it is looked up or shown.
  const role = RESOURCE_NAME.test(ask.role) ? await deps.stores.roles.get(ask.role) : null;
  if (!role?.requestable) return refuse('invalid', `no requestable role named ${RESOURCE_NAME.test(ask.role) ? ask.role : '(invalid name)'}`);
  if (user.roles.includes(role.name)) return refuse('conflict', `${user.name} holds role ${role.name} already`);
  const duration = checkDuration(ask.for, role);
  if (!duration.ok) return refuse('invalid', duration.message);
  const reason = checkReason(ask.reason);
  if (!reason.ok) return refuse('invalid', reason.message);
  const request = newRequest(user.name, role.name, duration.value, reason.value, now);
  const created = await step(deps, (seal) => deps.stores.requests.create(request, { maxPendingPerUser: MAX_PENDING_PER_USER }, {
    event: (stored) => stepEvent('request.create', stored, who.src), seal,
  }));
  if (created === 'duplicate') return refuse('conflict', `${user.name} has a pending request for role ${role.name} already`);
  if (created === 'too-many') return refuse('conflict', `${user.name} has ${MAX_PENDING_PER_USER} pending requests already; wait until they are decided`);
  return { ok: true, value: request };
}

/** Who approves or denies: a person (console), an API token, or the operator at the command line. */
export type Decider =
  | { kind: 'person'; user: string; src: string | null }
  | { kind: 'token'; name: string; admin: 'read' | 'write'; src: string | null }
  | { kind: 'operator'; actor: string };

export function deciderName(decider: Decider): string {
  if (decider.kind === 'person') return decider.user;
  return decider.kind === 'token' ? `token:${decider.name}` : decider.actor;
}

/**
 * Approves or denies a pending request. A holder of one of the role's `approvers` may, and so
 * may whoever holds `admin: write` (SPEC §9) and the operator at the command line; the person
 * who asked never may, whatever else they hold.
 */
export async function decideRequest(
  deps: RequestDeps, decider: Decider, id: string, status: 'approved' | 'denied', reasonText: string | null | undefined, now = new Date(),
): Promise<Outcome<AccessRequestRecord>> {
  const request = REQUEST_ID.test(id) ? await deps.stores.requests.get(id) : null;
  if (!request) return refuse('not-found', `no access request ${REQUEST_ID.test(id) ? id : '(invalid id)'}`);
  const verb = status === 'approved' ? 'approve' : 'deny';
  if (decider.kind === 'person' && decider.user === request.user) {
    return refuse('forbidden', `${decider.user} may not ${verb} their own request ${id}; someone holding an approver role must`);
  }
  const role = await deps.stores.roles.get(request.role);
  if (!(await mayAct(deps, decider, role))) {
    const approvers = role?.requestable?.approvers.join(', ') ?? 'none';
    return refuse('forbidden', `${deciderName(decider)} may not ${verb} requests for role ${request.role} (approvers: ${approvers})`);
  }
  const reason = checkDecisionReason(reasonText);
  if (!reason.ok) return refuse('invalid', reason.message);
  if (request.status !== 'pending') return refuse('conflict', `request ${id} is ${request.status} already`);
  const decided = await step(deps, (seal) => deps.stores.requests.decide(id, {
    status, by: deciderName(decider), at: now.toISOString(), reason: reason.value,
    until: status === 'approved' ? new Date(now.getTime() + request.durationMs).toISOString() : null,
  }, { event: (stored) => stepEvent(status === 'approved' ? 'request.approve' : 'request.deny', stored, decider.kind === 'operator' ? null : decider.src), seal }));
  if (!decided) return refuse('conflict', `request ${id} is no longer pending`);
  return { ok: true, value: decided };
}

async function mayAct(deps: RequestDeps, decider: Decider, role: Role | null): Promise<boolean> {
  if (decider.kind === 'operator') return true;
  if (decider.kind === 'token') return decider.admin === 'write';
  const user = await deps.stores.users.get(decider.user);
  if (!user || user.disabled) return false;
  const { roles } = await heldRoles(deps.stores, user);
  return mayDecide(role, roles.map((r) => r.name)) || adminLevelOf(roles) === 'write';
}

/** Whether a person may act on requests for this role (for listing what they may decide). */
export async function decidableRoles(deps: RequestDeps, userName: string): Promise<{ all: boolean; roles: Set<string> }> {
  const user = await deps.stores.users.get(userName);
  if (!user || user.disabled) return { all: false, roles: new Set() };
  const held = (await heldRoles(deps.stores, user)).roles;
  const level = adminLevelOf(held);
  const names = held.map((r) => r.name);
  const roles = (await deps.stores.roles.list()).filter((role) => mayDecide(role, names)).map((role) => role.name);
  return { all: level === 'write', roles: new Set(roles) };
}

/** How many requests one expiry pass takes at most; the next pass takes the rest. */
const EXPIRE_BATCH = 100;

/** Ends lapsed pending requests and ended grants; each gets its one `request.expire`, whichever node sweeps. */
export async function expireRequests(deps: RequestDeps, now = new Date()): Promise<AccessRequestRecord[]> {
  return step(deps, (seal) => deps.stores.requests.expire(now, EXPIRE_BATCH, { event: (stored) => stepEvent('request.expire', stored, null), seal }));
}

function stepEvent(type: 'request.create' | 'request.approve' | 'request.deny' | 'request.expire', request: AccessRequestRecord, src: string | null): AuditDraft {
  const common = { user: request.user, src, request: request.id, role: request.role, duration: formatDuration(request.durationMs) };
  switch (type) {
    case 'request.create': return { type, ...common, approver: null, reason: request.reason, until: null };
    case 'request.approve':
    case 'request.deny': return { type, ...common, approver: request.decidedBy ?? '', reason: request.decisionReason, until: request.until };
    case 'request.expire': return {
      type, ...common, approver: request.decidedBy, until: request.until,
      reason: request.until ? 'the granted time ended' : 'nobody decided it in time',
    };
  }
}
