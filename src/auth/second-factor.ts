import type { Role } from '../domain/resources.js';

/**
 * The second factor is asked only when a rule the user could use needs it and the user
 * has enrolled one; without it, rules with `mfa: true` stay closed (policy/decide.ts).
 */
export function secondFactorWanted(roles: readonly Role[], totpEnrolled: boolean): boolean {
  return totpEnrolled && roles.some((role) => role.allow.some((rule) => rule.mfa));
}
