/** `GET /api/v1/my/targets`: what the signed-in person may reach, for every user (SPEC §9 My targets). */
import { decide } from '../../../policy/decide.js';
import { ACCESS_KINDS } from '../../../domain/resources.js';
import { json, type Route } from '../api-types.js';
import { rolesOf } from '../../../policy/effective-roles.js';

export const myTargetRoutes: Route[] = [
  {
    method: 'GET', path: '/api/v1/my/targets', need: 'person',
    handle: async (request, deps) => {
      const { stores } = deps.runtime;
      const user = request.principal.kind === 'person' ? await stores.users.get(request.principal.user) : null;
      if (!user) return json(200, []);
      const roles = await rolesOf(stores, user);
      const targets = await stores.targets.list();
      // Source rules are judged when connecting; a second factor is asked then where a rule needs it.
      const reachable = targets.map((target) => {
        const access = ACCESS_KINDS.filter((kind) => decide({
          user, roles, target, access: kind, port: kind === 'jump' ? target.port : undefined, login: kind === 'session' || kind === 'sftp' ? target.login : undefined, mfaVerified: true,
        }).outcome === 'allow');
        return { name: target.name, description: target.description ?? null, login: target.login ?? null, via: target.via ?? null, labels: target.labels, access };
      }).filter((entry) => entry.access.length > 0);
      return json(200, reachable);
    },
  },
];
