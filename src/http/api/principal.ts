/** Who is calling the API: a signed-in person (cookie) or a script (bearer token), and what they may do. */
import type { AdminLevel, Role } from '../../domain/resources.js';
import type { ConsoleSession } from './console-sessions.js';

export type Principal =
  | { kind: 'person'; user: string; admin: AdminLevel; session: ConsoleSession }
  | { kind: 'token'; name: string; admin: 'read' | 'write' };

/** What a route needs: anyone, any signed-in person, or an admin level (SPEC §9). */
export type Need = 'anyone' | 'person' | 'read' | 'write';

const RANK: Record<AdminLevel, number> = { none: 0, read: 1, write: 2 };

/** The highest admin level among a user's roles. */
export function adminLevelOf(roles: readonly Role[]): AdminLevel {
  return roles.reduce<AdminLevel>((level, role) => (RANK[role.admin ?? 'none'] > RANK[level] ? role.admin ?? 'none' : level), 'none');
}

export function allows(principal: Principal, need: 'read' | 'write'): boolean {
  return RANK[principal.admin] >= RANK[need];
}

/** How `config.change` and other events name the caller: the person, or `token:NAME`. */
export function actorOf(principal: Principal): string {
  return principal.kind === 'person' ? principal.user : `token:${principal.name}`;
}
