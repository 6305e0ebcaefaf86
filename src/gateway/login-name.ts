/**
 * The user name a client sends (SPEC §2): `alice` (ProxyJump, forwarding, the menu),
 * `alice+db1` (a proxied session with the target's default login) or
 * `alice+postgres@db1` (an explicit login; OpenSSH splits user and host at the last `@`).
 *
 * It arrives before authentication, from anyone, and ends up in the audit trail and the
 * log. A name longer than MAX_LOGIN_NAME_LENGTH, or holding a character that a terminal or
 * a line-oriented reader acts on instead of showing (C0 and C1 controls, DEL, line and
 * paragraph separators, bidirectional and invisible formatting: what `printable()` must
 * escape), is a bad login name. The refusal carries a printable, shortened form of the
 * name, so the attempt can still be audited.
 */
import { printable } from '../log/printable.js';

/** Enough for a 63-character user, a 32-character login and a 253-character host name. */
export const MAX_LOGIN_NAME_LENGTH = 512;
/** How much of a refused name the audit trail shows. */
const SHOWN_LENGTH = 64;
const NOT_SHOWN = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/u;

export type LoginName =
  | { ok: true; user: string; target: string | null; login: string | null }
  /** `user` and `shown` are printable and short: the user part and the whole name, for the audit trail. */
  | { ok: false; user: string; shown: string; reason: string };

/** Printable, and cut to SHOWN_LENGTH characters (saying how long it was). */
function shown(text: string): string {
  const characters = Array.from(text);
  if (characters.length <= SHOWN_LENGTH) return printable(text);
  return `${printable(characters.slice(0, SHOWN_LENGTH).join(''))}… (${characters.length} characters)`;
}

function refused(raw: string, user: string, reason: string): LoginName {
  return { ok: false, user: shown(user), shown: shown(raw), reason };
}

export function parseLoginName(raw: string): LoginName {
  const plus = raw.indexOf('+');
  const userPart = plus === -1 ? raw : raw.slice(0, plus);
  if (raw === '') return refused(raw, userPart, 'empty');
  if (raw.length > MAX_LOGIN_NAME_LENGTH) return refused(raw, userPart, `longer than ${MAX_LOGIN_NAME_LENGTH} characters`);
  const unsafe = NOT_SHOWN.exec(raw)?.[0];
  if (unsafe !== undefined) {
    return refused(raw, userPart, `holds control or formatting character U+${unsafe.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`);
  }
  if (plus === -1) return { ok: true, user: raw, target: null, login: null };
  const rest = raw.slice(plus + 1);
  const at = rest.lastIndexOf('@');
  const login = at === -1 ? null : rest.slice(0, at);
  const target = at === -1 ? rest : rest.slice(at + 1);
  if (!userPart) return refused(raw, userPart, 'no user before "+"');
  if (!target) return refused(raw, userPart, 'no target after "+"');
  if (login === '') return refused(raw, userPart, 'no login before "@"');
  return { ok: true, user: userPart, target, login };
}
