/**
 * Brute-force bans (defaults as Teleport and sshpiper: 5 failures in 10 minutes ban the
 * source for 30 minutes). Failures are counted per source address, and knowledge-factor
 * failures also per user (a user is locked as `user:NAME`, see auth-flow.ts). Failures and
 * bans live in the store: every node and worker counts toward one threshold (a load balancer
 * spreading a guesser's attempts gains nothing), bans survive restarts and hold on every
 * node at once. `neverBan` addresses are never banned. Failures are forgotten after
 * `findWindow`, so the store holds only those of the last window.
 */
import type { GatewayDeps } from './gateway-deps.js';
import { ms } from '../config/load-settings.js';
import { addressInAny } from '../domain/cidr.js';
import type { Ban } from '../store/store.js';

export const userBanKey = (user: string) => `user:${user}`;

export interface BanGuardOptions {
  now?: () => number;
}

export class BanGuard {
  private readonly now: () => number;

  constructor(private readonly deps: Pick<GatewayDeps, 'stores' | 'audit' | 'settings' | 'logger'>, options: BanGuardOptions = {}) {
    this.now = options.now ?? Date.now;
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
    const windowStart = new Date(now - ms(bans.findWindow)).toISOString();
    if (!(await this.deps.stores.bans.recordFailure(key, new Date(now).toISOString(), windowStart, bans.maxAuthFailures))) return false;
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
