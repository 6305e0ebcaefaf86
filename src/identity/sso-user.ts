/**
 * Who a single sign-on makes of a person (SPEC §12), pure: the user named by the
 * provider's username claim, created at the first sign-in (`source: oidc`), whose roles
 * that list `groups` follow the groups claim at every sign-in (added when a group holds
 * them, removed when none does any more); roles an operator gave without `groups` stay.
 * A local user of the same name is never signed in as: the provider does not vouch for it.
 */
import { RESOURCE_NAME, UserSchema, type Role, type User } from '../domain/resources.js';

export type SsoUser =
  | { ok: true; user: User; action: 'create' | 'update' | 'unchanged' }
  | { ok: false; reason: string };

/** The groups claim as a list of names: a list of strings, or one string; anything else is none. */
export function groupsOf(claim: unknown): string[] {
  if (typeof claim === 'string') return [claim];
  if (Array.isArray(claim)) return claim.filter((group): group is string => typeof group === 'string').slice(0, 1000);
  return [];
}

export function ssoUser(existing: User | null, username: unknown, groupsClaim: unknown, roles: readonly Role[]): SsoUser {
  if (typeof username !== 'string' || !RESOURCE_NAME.test(username)) {
    return { ok: false, reason: `the username claim is not a jumpgate user name (${typeof username === 'string' ? JSON.stringify(username.slice(0, 80)) : typeof username})` };
  }
  if (existing && existing.source !== 'oidc') return { ok: false, reason: `a local user named ${username} exists; single sign-on does not sign in as a local user` };
  if (existing?.disabled) return { ok: false, reason: 'user disabled' };
  const groups = new Set(groupsOf(groupsClaim));
  const mapped = roles.filter((role) => (role.groups ?? []).length > 0);
  const held = new Set(mapped.filter((role) => role.groups!.some((group) => groups.has(group))).map((role) => role.name));
  const isMapped = new Set(mapped.map((role) => role.name));
  if (!existing) {
    return { ok: true, action: 'create', user: UserSchema.parse({ kind: 'User', name: username, roles: [...held].sort(), source: 'oidc' }) };
  }
  const kept = existing.roles.filter((role) => !isMapped.has(role) || held.has(role));
  const added = [...held].filter((role) => !kept.includes(role)).sort();
  const next = [...kept, ...added];
  const same = next.length === existing.roles.length && next.every((role, i) => role === existing.roles[i]);
  return { ok: true, action: same ? 'unchanged' : 'update', user: same ? existing : { ...existing, roles: next } };
}
