/**
 * The user name a client sends (SPEC §2): `alice` (ProxyJump, forwarding, the menu),
 * `alice+db1` (a proxied session with the target's default login) or
 * `alice+postgres@db1` (an explicit login; OpenSSH splits user and host at the last `@`).
 */
export type LoginName =
  | { ok: true; user: string; target: string | null; login: string | null }
  | { ok: false; user: string; reason: string };

export function parseLoginName(raw: string): LoginName {
  const plus = raw.indexOf('+');
  if (plus === -1) return { ok: true, user: raw, target: null, login: null };
  const user = raw.slice(0, plus);
  const rest = raw.slice(plus + 1);
  const at = rest.lastIndexOf('@');
  const login = at === -1 ? null : rest.slice(0, at);
  const target = at === -1 ? rest : rest.slice(at + 1);
  if (!user) return { ok: false, user, reason: 'no user before "+"' };
  if (!target) return { ok: false, user, reason: 'no target after "+"' };
  if (login === '') return { ok: false, user, reason: 'no login before "@"' };
  return { ok: true, user, target, login };
}
