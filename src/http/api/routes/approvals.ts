/**
 * Browser approvals (SPEC §12). A signed-in person approves a code shown to them by
 * `jumpgate login` or by an SSH login over keyboard-interactive: `GET` shows what the code
 * is for, `POST /api/v1/approvals/CODE` approves it (people only, never API tokens).
 * `jumpgate login` starts with `POST /api/v1/logins` and polls `POST /api/v1/logins/poll`
 * with its secret and a fresh public key; once the code is approved, the poll answers a
 * certificate of the user CA for that key (once: the approval is then used).
 */
import { z } from 'zod';
import { ApiError, notFound } from '../api-error.js';
import { json, type ApiDeps, type ApiRequest, type PublicRoute, type Route } from '../api-types.js';
import { parseBody } from './body.js';
import { APPROVAL_TTL_MS, approvalUrl, hashApprovalCode, hashPollToken, newApprovalCode, newPollToken, normaliseApprovalCode } from '../../../identity/approval-codes.js';
import type { ApprovalRecord, ApprovalRefusal } from '../../../store/store.js';
import { RESOURCE_NAME } from '../../../domain/resources.js';
import { publicKeyBlob } from '../../../domain/ssh-public-key.js';
import { blobType } from '../../../auth/openssh-certificate.js';
import { addressInAny } from '../../../domain/cidr.js';
import { BoundedRecentMap } from '../../../gateway/bounded-recent-map.js';
import { gateAddress, gateText, readListening } from '../../../gateway/public-address.js';
import { createUserCa } from '../../../main.js';

/** Logins a single address may start per minute: each holds a row for two minutes. */
const STARTS_PER_MINUTE = 20;
const starts = new BoundedRecentMap<{ since: number; count: number }>(10_000, (entry, now) => now - entry.since >= 60_000);

const REFUSAL: Record<ApprovalRefusal, [number, string]> = {
  unknown: [404, 'no such code (check it, or start again)'],
  expired: [410, 'the code expired (codes last 2 minutes; start again)'],
  used: [409, 'the code was used already'],
  'other-person': [403, 'this code is for another person'],
  pending: [202, 'not approved yet'],
};

function refused(reason: ApprovalRefusal): ApiError {
  const [status, message] = REFUSAL[reason];
  return new ApiError(status, message, { reason });
}

function codeParam(text: string): string {
  const code = normaliseApprovalCode(text);
  if (!code) throw notFound('no such code (check it, or start again)');
  return code;
}

function describe(approval: ApprovalRecord) {
  return {
    kind: approval.kind, user: approval.user, subject: approval.subject, expiresAt: approval.expiresAt,
    state: approval.claimedAt ? 'used' : approval.approvedAt ? 'approved' : Date.parse(approval.expiresAt) <= Date.now() ? 'expired' : 'pending',
  };
}

const Start = z.strictObject({ user: z.string().regex(RESOURCE_NAME, 'must be a user name').optional() });
const Poll = z.strictObject({ pollToken: z.string().min(1).max(128), publicKey: z.string().min(1).max(4096) });

async function startLogin(request: ApiRequest, deps: ApiDeps) {
  const input = parseBody(Start, request.body);
  const now = Date.now();
  const seen = starts.get(request.ip, now) ?? { since: now, count: 0 };
  if (seen.count >= STARTS_PER_MINUTE) throw new ApiError(429, `too many logins started from ${request.ip}; wait a minute`);
  starts.set(request.ip, { ...seen, count: seen.count + 1 }, now);
  const code = newApprovalCode();
  const poll = newPollToken();
  const expiresAt = new Date(now + APPROVAL_TTL_MS).toISOString();
  await deps.runtime.stores.approvals.add({
    codeHash: hashApprovalCode(code), kind: 'certificate', user: input.user ?? null, subject: `jumpgate login from ${request.ip}`,
    pollHash: poll.hash, createdAt: new Date(now).toISOString(), expiresAt, approvedBy: null, approvedAt: null, claimedAt: null,
  }, new Date(now));
  return json(201, { code, url: approvalUrl(deps.runtime.settings, code), pollToken: poll.token, expiresAt, interval: 1 });
}

async function pollLogin(request: ApiRequest, deps: ApiDeps) {
  const input = parseBody(Poll, request.body);
  const { stores, settings, dataDir } = deps.runtime;
  // Checked before the approval is used: a bad key must not spend it.
  const blob = publicKeyBlob(input.publicKey);
  if (!blob || blobType(blob) !== 'ssh-ed25519') throw new ApiError(400, 'publicKey must be an ssh-ed25519 public key line');
  const claimed = await stores.approvals.claim({ pollHash: hashPollToken(input.pollToken) }, new Date());
  if (!claimed.ok) {
    if (claimed.reason === 'pending') return json(202, { status: 'pending' });
    throw refused(claimed.reason);
  }
  const name = claimed.approval.user!;
  const user = await stores.users.get(name);
  if (!user || user.disabled) throw new ApiError(403, `${name} may not log in`);
  if (user.sourceCidrs.length > 0 && !addressInAny(request.ip, user.sourceCidrs)) throw new ApiError(403, `source address ${request.ip} not allowed for ${name}`);
  const roles = (await Promise.all(user.roles.map((role) => stores.roles.get(role)))).filter((role) => role !== null);
  // A person who holds no role (an SSO user whose groups map to none any more) gets no certificate.
  if (roles.length === 0) throw new ApiError(403, `${name} holds no role: no certificate issued`);
  const certificate = await createUserCa(deps.runtime).issue(user, roles, blob, { src: request.src, approval: claimed.approval.codeHash.slice(0, 12) });
  const ssh = gateText(gateAddress(settings.ssh.publicAddress, readListening(dataDir) ?? settings.ssh.listen[0]));
  return json(200, { status: 'issued', user: name, certificate: certificate.line, serial: certificate.serial, keyId: certificate.keyId, principals: certificate.principals, validBefore: certificate.validBefore, sshAddress: ssh });
}

export const approvalRoutes: Array<Route | PublicRoute> = [
  { method: 'POST', path: '/api/v1/logins', need: 'anyone', handle: startLogin },
  { method: 'POST', path: '/api/v1/logins/poll', need: 'anyone', handle: pollLogin },
  {
    method: 'GET', path: '/api/v1/approvals/:code', need: 'person',
    handle: async (request, deps) => {
      const approval = await deps.runtime.stores.approvals.get(hashApprovalCode(codeParam(request.params.code)));
      const me = request.principal.kind === 'person' ? request.principal.user : null;
      // Another person's code is as unknown to you as one never issued.
      if (!approval || (approval.user !== null && approval.user !== me)) throw notFound('no such code (check it, or start again)');
      return json(200, { code: codeParam(request.params.code), ...describe(approval) });
    },
  },
  {
    method: 'POST', path: '/api/v1/approvals/:code', need: 'person',
    handle: async (request, deps) => {
      if (request.principal.kind !== 'person') throw new ApiError(403, 'only a person signed in to the console approves');
      const code = codeParam(request.params.code);
      const outcome = await deps.runtime.stores.approvals.approve(hashApprovalCode(code), request.principal.user, new Date());
      if (!outcome.ok) throw refused(outcome.reason === 'pending' ? 'unknown' : outcome.reason);
      deps.runtime.logger.info('browser approval', { user: request.principal.user, kind: outcome.approval.kind, subject: outcome.approval.subject, src: request.src });
      return json(200, { approved: true, code, ...describe(outcome.approval) });
    },
  },
];
