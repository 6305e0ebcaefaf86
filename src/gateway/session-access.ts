/**
 * Whether a proxied session (`alice+db1`, `alice+postgres@db1`) may open: the target
 * exists, the login is granted for the access kind (session, or sftp for file transfer),
 * from this address, with the factors this connection has. Refusals use SPEC §7 words.
 */
import type { GatewayDeps } from './gateway-deps.js';
import type { Requester } from './access-check.js';
import type { Rule, Target } from '../domain/resources.js';
import { decide, describeGrant } from '../policy/decide.js';
import { rolesOf } from '../policy/effective-roles.js';

export type SessionAccess =
  | { allowed: true; target: Target; login: string; rule: Rule; ruleName: string }
  | { allowed: false; message: string; reason: string; target: string | null; login: string | null };

export async function checkSessionAccess(
  deps: Pick<GatewayDeps, 'stores'>, who: Requester, targetName: string, explicitLogin: string | null, access: 'session' | 'sftp',
): Promise<SessionAccess> {
  const targets = await deps.stores.targets.list();
  const target = targets.find((t) => t.name === targetName) ?? targets.find((t) => t.name.toLowerCase() === targetName.toLowerCase());
  if (!target) return { allowed: false, reason: `no target named ${targetName}`, message: `jumpgate: no target named ${targetName}`, target: null, login: explicitLogin };
  const login = explicitLogin ?? target.login;
  if (!login) {
    const reason = `${target.name} has no default login`;
    return { allowed: false, reason, message: `jumpgate: ${reason}; connect as ${who.userName}+LOGIN@${target.name}`, target: target.name, login: null };
  }
  const user = await deps.stores.users.get(who.userName);
  const fail = (reason: string): SessionAccess => ({ allowed: false, reason, message: `jumpgate: ${who.userName} may not reach ${login}@${target.name} (${reason})`, target: target.name, login });
  if (!user || user.disabled) return fail(user ? 'user disabled' : 'user removed');
  const roles = await rolesOf(deps.stores, user);
  const decision = decide({ user, roles, target, access, login, sourceIp: who.ip, mfaVerified: who.mfaVerified });
  if (decision.outcome === 'deny') return fail(decision.reason);
  if (decision.outcome === 'need') return fail(`${describeGrant(decision.grant)} needs a second factor (TOTP)`);
  return { allowed: true, target, login, rule: decision.grant.rule, ruleName: describeGrant(decision.grant) };
}
