/** Sessions (list, kill), bans (list, lift), recordings, and the policy check form. */
import { createReadStream, existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { dataPath } from '../../../config/load-settings.js';
import { AccessKindSchema } from '../../../domain/resources.js';
import { isCidr } from '../../../domain/cidr.js';
import { checkPolicy, verdictSummary } from '../../../policy/policy-check.js';
import { ApiError, notFound } from '../api-error.js';
import { actorOf } from '../principal.js';
import { json, type Route } from '../api-types.js';
import { parseBody } from './body.js';

/** How long a kill waits for the gateway holding the session to end it (it polls every second). */
const KILL_WAIT_MS = 5000;
const RECORDING_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

const PolicyQuestion = z.strictObject({
  user: z.string().min(1),
  target: z.string().min(1),
  access: AccessKindSchema.optional(),
  port: z.number().int().min(1, 'must be 1-65535').max(65535, 'must be 1-65535').optional(),
  login: z.string().min(1).optional(),
  from: z.string().refine(isCidr, 'must be an IP address').optional(),
  mfa: z.boolean().optional(),
});

export const operationRoutes: Route[] = [
  {
    method: 'GET', path: '/api/v1/sessions', need: 'read',
    handle: async (request, deps) => json(200, await deps.runtime.stores.sessions.list({ includeEnded: request.query.get('live') !== 'true' })),
  },
  {
    method: 'POST', path: '/api/v1/sessions/:id/kill', need: 'write',
    handle: async (request, deps) => {
      const { stores, audit } = deps.runtime;
      const { id } = request.params;
      const session = await stores.sessions.get(id);
      if (!session || session.endedAt) throw notFound(`no live session ${id}`);
      // The event first: a session is ended only once the trail holds who ended it.
      await audit.record({ type: 'config.change', user: actorOf(request.principal), src: request.src, action: 'delete', kind: 'Session', name: id });
      if (!(await stores.sessions.requestKill(id))) throw notFound(`no live session ${id}`);
      for (const deadline = Date.now() + KILL_WAIT_MS; Date.now() < deadline;) {
        const record = await stores.sessions.get(id);
        if (record?.endedAt) return json(200, { id, ended: true, reason: record.reason });
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      return json(202, { id, ended: false, reason: null });
    },
  },
  {
    method: 'GET', path: '/api/v1/bans', need: 'read',
    handle: async (_request, deps) => json(200, await deps.runtime.stores.bans.list(new Date())),
  },
  {
    method: 'DELETE', path: '/api/v1/bans/:address', need: 'write',
    handle: async (request, deps) => {
      const { stores, audit } = deps.runtime;
      const { address } = request.params;
      if (!(await stores.bans.active(address, new Date()))) throw notFound(`${address} is not banned`);
      await audit.record({ type: 'ban.remove', user: actorOf(request.principal), src: request.src, address, reason: 'lifted by an operator' });
      await stores.bans.remove(address);
      return json(200, { unbanned: address });
    },
  },
  {
    method: 'GET', path: '/api/v1/recordings/:id', need: 'read',
    handle: async (request, deps) => {
      const { id } = request.params;
      if (!RECORDING_ID.test(id)) throw new ApiError(400, 'a recording id is a session id');
      const { dataDir, settings } = deps.runtime;
      const file = path.join(dataPath(dataDir, settings.recordings.dir), `${id}.cast`);
      if (!existsSync(file)) throw notFound(`no recording for session ${id}`);
      return { status: 200, stream: createReadStream(file), contentType: 'application/x-asciicast' };
    },
  },
  {
    method: 'POST', path: '/api/v1/policy/check', need: 'read',
    handle: async (request, deps) => {
      const question = parseBody(PolicyQuestion, request.body);
      if (question.access === 'forward' && question.port === undefined) throw new ApiError(400, 'port is required for access forward');
      const answer = await checkPolicy(deps.runtime.stores, { ...question, destination: question.target });
      if (!answer.found) throw notFound(answer.message);
      return json(200, verdictSummary(answer.verdict));
    },
  },
];
