/**
 * Just-in-time access requests (SPEC §12): a user asks for a `requestable` role for a while,
 * with a reason; a holder of one of the role's approver roles approves or denies it; an
 * approved request grants the role from the approval until the duration ends. Pure: the
 * record, its limits and the checks of what a stranger typed.
 */
import { randomBytes } from 'node:crypto';
import { parseDuration, formatDuration } from '../config/duration.js';
import type { Role } from '../domain/resources.js';

export type RequestStatus = 'pending' | 'approved' | 'denied' | 'expired';

export interface AccessRequestRecord {
  id: string;
  user: string;
  role: string;
  /** How long the role is granted once approved. */
  durationMs: number;
  reason: string;
  status: RequestStatus;
  createdAt: string;
  /** When the request leaves `pending` or `approved` by itself: a pending one lapses, a grant ends. */
  lapsesAt: string;
  /** Who approved or denied it (a user, `token:NAME` or `cli:NAME`), and when, and why. */
  decidedBy: string | null;
  decidedAt: string | null;
  decisionReason: string | null;
  /** The end of the grant, once approved. */
  until: string | null;
}

/** A request nobody decides lapses after this, so it does not hold its user's slot for ever. */
export const PENDING_TTL_MS = 24 * 3_600_000;
/** Pending requests one user may have at once (every role together). */
export const MAX_PENDING_PER_USER = 5;
/** The shortest grant worth asking for. */
export const MIN_DURATION_MS = 1000;
export const MAX_REASON_LENGTH = 200;

/** Ten hex digits: short enough to type in `jumpgate request approve ID`, too many to guess. */
export const REQUEST_ID = /^[0-9a-f]{10}$/;

export function newRequestId(): string {
  return randomBytes(5).toString('hex');
}

export type Checked<T> = { ok: true; value: T } | { ok: false; message: string };

/**
 * A reason is for people reading the audit trail: printable characters only (no control,
 * formatting or line-breaking character that could forge a log line), one line, bounded.
 */
export function checkReason(text: string | undefined): Checked<string> {
  const reason = (text ?? '').trim();
  if (reason.length === 0) return { ok: false, message: 'a reason is required (--reason "INC-42: why")' };
  if (reason.length > MAX_REASON_LENGTH) return { ok: false, message: `the reason is longer than ${MAX_REASON_LENGTH} characters` };
  if (!/^[\p{L}\p{M}\p{N}\p{P}\p{S} ]+$/u.test(reason)) return { ok: false, message: 'the reason must be printable text on one line' };
  return { ok: true, value: reason };
}

/** An approver's or denier's reason is optional; when given it follows the same rules. */
export function checkDecisionReason(text: string | undefined | null): Checked<string | null> {
  if (text === undefined || text === null || text.trim() === '') return { ok: true, value: null };
  return checkReason(text);
}

/** The duration asked for a requestable role: a duration string, at least a second, at most the role's maxDuration. */
export function checkDuration(text: string | undefined, role: Role): Checked<number> {
  const max = maxDurationOf(role);
  if (max === null) return { ok: false, message: `role ${role.name} is not requestable` };
  if (text === undefined) return { ok: false, message: `say how long with --for (at most ${formatDuration(max)})` };
  const asked = parseDuration(text);
  if (asked === null) return { ok: false, message: `--for must be a duration such as 30m or 2h, not ${text}` };
  if (asked < MIN_DURATION_MS) return { ok: false, message: '--for must be at least 1s' };
  if (asked > max) return { ok: false, message: `role ${role.name} may be requested for at most ${formatDuration(max)}` };
  return { ok: true, value: asked };
}

export function maxDurationOf(role: Role): number | null {
  return role.requestable ? parseDuration(role.requestable.maxDuration) : null;
}

/** Whether holding `roles` lets one approve or deny requests for `role`. */
export function mayDecide(role: Role | null, approverRoles: readonly string[]): boolean {
  return role?.requestable?.approvers.some((name) => approverRoles.includes(name)) ?? false;
}

/** The record a new request starts as. */
export function newRequest(user: string, role: string, durationMs: number, reason: string, now: Date): AccessRequestRecord {
  return {
    id: newRequestId(), user, role, durationMs, reason, status: 'pending', createdAt: now.toISOString(),
    lapsesAt: new Date(now.getTime() + PENDING_TTL_MS).toISOString(), decidedBy: null, decidedAt: null, decisionReason: null, until: null,
  };
}

/** The audit event types of request steps (`request.create`…), which raise their own alerts. */
export function isRequestStep(type: string): boolean {
  return type.startsWith('request.');
}
