/**
 * The roles a user holds now: the roles the User resource lists, and the roles granted by
 * approved access requests until their end (SPEC §12). Every decision of the gateway (SSH,
 * RDP, the console, `policy check`) asks here, so a grant counts everywhere at once and
 * stops counting the moment it ends, whichever node asks and whether or not the expiry
 * sweep has run yet.
 */
import type { Role, User } from '../domain/resources.js';
import type { AccessRequestStore, Stores } from '../store/store.js';
import type { AccessRequestRecord } from '../requests/access-request.js';

/** Only what the decision reads, so a unit test can hand in plain objects. */
export type RoleStores = Pick<Stores, 'roles'> & { requests: Pick<AccessRequestStore, 'liveGrants'> };

export interface HeldRoles {
  roles: Role[];
  /** The live grants behind roles the user does not hold statically, by role name. */
  grants: Map<string, AccessRequestRecord>;
}

export async function heldRoles(stores: RoleStores, user: User, now = new Date()): Promise<HeldRoles> {
  const grants = new Map<string, AccessRequestRecord>();
  for (const grant of await stores.requests.liveGrants(user.name, now)) {
    if (user.roles.includes(grant.role)) continue;
    // The longest grant of a role explains it best (liveGrants lists them by end).
    grants.set(grant.role, grant);
  }
  const names = [...user.roles, ...grants.keys()];
  const found = await Promise.all(names.map((name) => stores.roles.get(name)));
  const roles: Role[] = [];
  for (const role of found) {
    if (!role) continue;
    // A grant counts only while its role is still requestable: an operator who takes
    // `requestable` away ends the grants it gave.
    if (grants.has(role.name) && !role.requestable) {
      grants.delete(role.name);
      continue;
    }
    roles.push(role);
  }
  return { roles, grants };
}

/** The Role resources a user holds now (static and granted). */
export async function rolesOf(stores: RoleStores, user: User, now = new Date()): Promise<Role[]> {
  return (await heldRoles(stores, user, now)).roles;
}
