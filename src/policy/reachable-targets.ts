import type { Stores } from '../store/store.js';
import { decide } from './decide.js';
import type { AccessKind, Target } from '../domain/resources.js';

/** The targets a user may reach with an access kind, whatever their source address. */
export async function reachableTargetList(stores: Pick<Stores, 'users' | 'roles' | 'targets'>, userName: string, access: AccessKind = 'jump'): Promise<Target[]> {
  const user = await stores.users.get(userName);
  if (!user || user.disabled) return [];
  const roles = (await Promise.all(user.roles.map((name) => stores.roles.get(name)))).filter((r) => r !== null);
  const targets = await stores.targets.list();
  return targets.filter((target) => {
    const decision = decide({ user, roles, target, access, port: access === 'jump' ? target.port : undefined, mfaVerified: true });
    return decision.outcome === 'allow';
  });
}
