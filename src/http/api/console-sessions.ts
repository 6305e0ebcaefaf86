/**
 * Signed-in people of the web console: a random id in an HttpOnly cookie, a CSRF token
 * returned once at sign-in, an idle and an absolute lifetime. Kept in this process (a
 * person signs in again on another node), at most MAX_SESSIONS at once.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';

export const MAX_SESSIONS = 10_000;

export interface ConsoleSession { id: string; user: string; csrf: string; createdAt: number; lastSeen: number }

export class ConsoleSessions {
  private readonly sessions = new Map<string, ConsoleSession>();

  constructor(private readonly limits: { idleMs: number; maxMs: number }, private readonly now: () => number = Date.now) {}

  create(user: string): ConsoleSession {
    const now = this.now();
    this.prune(now);
    // Past the bound, the longest-idle session goes (Map order is insertion; touch re-inserts).
    if (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    const session = { id: randomBytes(32).toString('base64url'), user, csrf: randomBytes(32).toString('base64url'), createdAt: now, lastSeen: now };
    this.sessions.set(session.id, session);
    return session;
  }

  /** The live session of a cookie value, its idle time renewed; null when unknown or expired. */
  touch(id: string): ConsoleSession | null {
    const session = this.sessions.get(id);
    if (!session) return null;
    const now = this.now();
    if (this.expired(session, now)) {
      this.sessions.delete(id);
      return null;
    }
    session.lastSeen = now;
    this.sessions.delete(id);
    this.sessions.set(id, session);
    return session;
  }

  end(id: string): void {
    this.sessions.delete(id);
  }

  /** Ends every session of a user (disabled or removed). */
  endUser(user: string): void {
    for (const [id, session] of this.sessions) if (session.user === user) this.sessions.delete(id);
  }

  get size(): number {
    return this.sessions.size;
  }

  private expired(session: ConsoleSession, now: number): boolean {
    return now - session.lastSeen >= this.limits.idleMs || now - session.createdAt >= this.limits.maxMs;
  }

  private prune(now: number): void {
    for (const [id, session] of this.sessions) {
      if (!this.expired(session, now)) break; // oldest-touched first: the rest are fresher
      this.sessions.delete(id);
    }
  }
}

/** Compares a sent CSRF token with the session's in constant time. */
export function csrfMatches(expected: string, sent: string | undefined): boolean {
  if (sent === undefined) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(sent);
  return a.length === b.length && timingSafeEqual(a, b);
}
