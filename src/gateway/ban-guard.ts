/**
 * Brute-force bans (defaults as Teleport and sshpiper: 5 failures in 10 minutes ban the
 * source for 30 minutes). Failures are counted per source address, and knowledge-factor
 * failures also per user (a user is locked as `user:NAME`, see auth-flow.ts); bans live in
 * the store, so they survive restarts and every node sees them; `neverBan` addresses are
 * never banned. Failures below the threshold are forgotten after `findWindow`, and at most
 * MAX_TRACKED addresses and users are followed at once (strangers choose both).
 */
import type { GatewayDeps } from './gateway-deps.js';
import { ms } from '../config/load-settings.js';
import { addressInAny } from '../domain/cidr.js';
import { BoundedRecentMap } from './bounded-recent-map.js';
import type { Ban } from '../store/store.js';

/** Addresses and users with failures in the window that are followed at once; past it the least recent are forgotten. */
export const MAX_TRACKED = 100_000;

export const userBanKey = (user: string) => `user:${user}`;

export interface BanGuardOptions {
  maxTracked?: number;
  now?: () => number;
}

export class BanGuard {
  /** Times of the failures within the window, oldest first, per address or `user:NAME`. */
  private readonly failures: BoundedRecentMap<number[]>;
  private readonly now: () => number;

  constructor(private readonly deps: Pick<GatewayDeps, 'stores' | 'audit' | 'settings' | 'logger'>, options: BanGuardOptions = {}) {
    const window = ms(deps.settings.bans.findWindow);
    this.failures = new BoundedRecentMap(options.maxTracked ?? MAX_TRACKED, (times, now) => now - times[times.length - 1] >= window);
    this.now = options.now ?? Date.now;
  }

  /** Addresses and users with failures in the window (for tests and metrics). */
  get tracked(): number {
    return this.failures.size;
  }

  async banned(key: string): Promise<boolean> {
    return (await this.activeBan(key)) !== null;
  }

  /** The ban in force on an address or `user:NAME`, or null. */
  activeBan(key: string): Promise<Ban | null> {
    return this.deps.stores.bans.active(key, new Date());
  }

  /** Counts one failure for the address and the user; true when the address is now banned. */
  async failure(ip: string, user: string | null, src: string): Promise<boolean> {
    const addressBanned = addressInAny(ip, this.deps.settings.bans.neverBan) ? false : await this.count(ip, src, `${this.deps.settings.bans.maxAuthFailures} authentication failures`);
    if (user) await this.count(userBanKey(user), src, `${this.deps.settings.bans.maxAuthFailures} authentication failures for ${user}`, user);
    return addressBanned;
  }

  private async count(key: string, src: string, reason: string, user: string | null = null): Promise<boolean> {
    const { bans } = this.deps.settings;
    const now = this.now();
    const window = ms(bans.findWindow);
    const recent = (this.failures.get(key, now) ?? []).filter((t) => now - t < window);
    recent.push(now);
    this.failures.set(key, recent, now);
    if (recent.length < bans.maxAuthFailures) return false;
    this.failures.delete(key);
    const until = new Date(now + ms(bans.banDuration)).toISOString();
    await this.deps.stores.bans.add({ address: key, until, reason, createdAt: new Date(now).toISOString() });
    // The ban protects; it stands even when its event cannot be written (AuditLog logs that).
    await this.deps.audit.record({ type: 'ban.add', user, src, address: key, until, reason }).catch(() => {});
    // Five typos from the operator's own laptop ban it too: the line says how to undo that.
    const isUser = user !== null && key === userBanKey(user);
    this.deps.logger.warn('banned', { address: key, until, reason, undo: `jumpgate unban ${key}${isUser ? '' : ' (addresses in bans.neverBan are never banned)'}` });
    return true;
  }
}
