import type { Stores } from '../store/store.js';
import { decide } from './decide.js';
import type { AccessKind, Target } from '../domain/resources.js';
import { rolesOf, type RoleStores } from './effective-roles.js';

/** The targets a user may reach with an access kind, whatever their source address. */
export async function reachableTargetList(stores: Pick<Stores, 'users' | 'targets'> & RoleStores, userName: string, access: AccessKind = 'jump'): Promise<Target[]> {
  const user = await stores.users.get(userName);
  if (!user || user.disabled) return [];
  const roles = await rolesOf(stores, user);
  const targets = await stores.targets.list();
  return targets.filter((target) => {
    const decision = decide({ user, roles, target, access, port: access === 'jump' ? target.port : undefined, mfaVerified: true });
    return decision.outcome === 'allow';
  });
}
