/**
 * Access requests (SPEC §9, §12): `GET /api/v1/requests`, `POST /api/v1/requests` (file one;
 * SPEC names no route for it, the console needs one) and `POST /api/v1/requests/ID/{approve,deny}`.
 * Every signed-in person may file requests and see their own; a person also sees the pending
 * requests they may decide (a holder of the role's approvers, or admin: write); admin: read
 * (people and tokens) sees all. The steps and their checks are in requests/request-service.ts.
 */
import { z } from 'zod';
import { ApiError } from '../api-error.js';
import { allows, type Principal } from '../principal.js';
import { json, type ApiRequest, type PublicRoute } from '../api-types.js';
import { parseBody } from './body.js';
import { decidableRoles, decideRequest, fileRequest, type Decider, type Outcome } from '../../../requests/request-service.js';
import type { AccessRequestRecord, RequestStatus } from '../../../requests/access-request.js';
import type { ApiDeps } from '../api-types.js';

/** How many requests a listing returns at most (newest first). */
const LIST_LIMIT = 200;

const NewRequest = z.strictObject({ role: z.string().min(1).max(63), for: z.string().min(1).max(16), reason: z.string().max(1000) });
const Decision = z.strictObject({ reason: z.string().max(1000).nullable().optional() });

const STATUS_OF_REFUSAL = { invalid: 400, 'not-found': 404, forbidden: 403, conflict: 409 } as const;

function signedIn(request: ApiRequest): Principal {
  if (!request.principal) throw new ApiError(401, 'sign in first (or send Authorization: Bearer TOKEN)');
  return request.principal;
}

function valueOf<T>(outcome: Outcome<T>): T {
  if (!outcome.ok) throw new ApiError(STATUS_OF_REFUSAL[outcome.code], outcome.message);
  return outcome.value;
}

function deciderOf(principal: Principal, src: string): Decider {
  return principal.kind === 'person' ? { kind: 'person', user: principal.user, src } : { kind: 'token', name: principal.name, admin: principal.admin, src };
}

/** A request as the API shows it, with whether the caller may decide it (the console shows the buttons then). */
type Shown = AccessRequestRecord & { mayDecide: boolean };

async function visibleRequests(deps: ApiDeps, principal: Principal, all: boolean): Promise<Shown[]> {
  const { stores } = deps.runtime;
  const open: readonly RequestStatus[] | undefined = all ? undefined : ['pending'];
  if (principal.kind === 'token') {
    if (!allows(principal, 'read')) return [];
    return (await stores.requests.list({ status: open, limit: LIST_LIMIT })).map((r) => ({ ...r, mayDecide: principal.admin === 'write' && r.status === 'pending' }));
  }
  const may = await decidableRoles(deps.runtime, principal.user);
  const mayDecide = (r: AccessRequestRecord) => r.status === 'pending' && r.user !== principal.user && (may.all || may.roles.has(r.role));
  const others = allows(principal, 'read')
    ? await stores.requests.list({ status: open, limit: LIST_LIMIT })
    : (await stores.requests.list({ status: ['pending'], limit: LIST_LIMIT })).filter(mayDecide);
  const own = await stores.requests.list({ user: principal.user, limit: LIST_LIMIT });
  const byId = new Map([...own, ...others].map((r) => [r.id, r]));
  return [...byId.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt)).map((r) => ({ ...r, mayDecide: mayDecide(r) }));
}

function decideRoute(action: 'approve' | 'deny'): PublicRoute {
  return {
    method: 'POST', path: `/api/v1/requests/:id/${action}`, need: 'anyone',
    handle: async (request, deps) => {
      const principal = signedIn(request);
      const { reason } = parseBody(Decision, request.body);
      const decided = valueOf(await decideRequest(deps.runtime, deciderOf(principal, request.src), request.params.id, action === 'approve' ? 'approved' : 'denied', reason));
      return json(200, decided);
    },
  };
}

export const requestRoutes: PublicRoute[] = [
  {
    method: 'GET', path: '/api/v1/requests', need: 'anyone',
    handle: async (request, deps) => json(200, await visibleRequests(deps, signedIn(request), request.query.get('all') === 'true')),
  },
  {
    method: 'POST', path: '/api/v1/requests', need: 'anyone',
    handle: async (request, deps) => {
      const principal = signedIn(request);
      if (principal.kind !== 'person') throw new ApiError(403, 'a request is filed by the person who needs the role, not by an API token');
      const ask = parseBody(NewRequest, request.body);
      const filed = valueOf(await fileRequest(deps.runtime, { user: principal.user, src: request.src }, { role: ask.role, for: ask.for, reason: ask.reason }));
      return json(201, filed);
    },
  },
  decideRoute('approve'),
  decideRoute('deny'),
];
