/** `POST /api/v1/targets/NAME/test` (each hop, its latency and host key) and `POST …/trust` (accept a changed key). */
import { auditUpstreamFailure } from '../../../gateway/direct-tcpip-channel.js';
import { probeTarget, trustTargetKey, TrustRefused } from '../../../upstream/target-probe.js';
import { ApiError } from '../api-error.js';
import { actorOf } from '../principal.js';
import { json, type Route } from '../api-types.js';
import { targetOr404 } from './resources.js';

export const targetRoutes: Route[] = [
  {
    // It dials out with stored credentials and may learn a host key: a change, so `write`.
    method: 'POST', path: '/api/v1/targets/:name/test', need: 'write',
    handle: async (request, deps) => {
      const target = await targetOr404(request, deps);
      const actor = actorOf(request.principal);
      const result = await probeTarget(deps.newUpstream(), target, (failed, failure) => auditUpstreamFailure(deps.runtime, actor, request.src, failed.name, failure));
      return json(200, result.ok
        ? { target: target.name, ok: true, hops: result.hops }
        : { target: target.name, ok: false, hops: result.hops, failure: result.failure, error: `jumpgate: ${result.message}` });
    },
  },
  {
    method: 'POST', path: '/api/v1/targets/:name/trust', need: 'write',
    handle: async (request, deps) => {
      const target = await targetOr404(request, deps);
      try {
        const trusted = await trustTargetKey({ ...deps.runtime, pool: deps.newUpstream() }, target, { user: actorOf(request.principal), src: request.src });
        return json(200, { target: target.name, hostKey: trusted.fingerprint, previous: trusted.previous });
      } catch (error) {
        if (error instanceof TrustRefused) throw new ApiError(409, error.message);
        throw error;
      }
    },
  },
];
